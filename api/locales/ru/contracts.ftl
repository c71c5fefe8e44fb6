# Договоры компании провайдера с клиентом (issue 20.2).
nav-contracts = Договоры
my-contracts-title = Договоры
my-no-contracts = У вас нет договоров.
my-contract-date = Дата
my-contract-company = С кем
contracts-title = Договоры
contracts-client = Клиент
contracts-company = Компания
contracts-date = Дата
contracts-signed-on = Подписан
contracts-terminated-on = Расторгнут
contracts-templates = Шаблоны договоров
contracts-template-name = Шаблон
contracts-prefix = Префикс
contracts-version = Версия
contracts-published = Опубликован
