# Соглашения (оферты), принимаемые при заказе, и их страница в панели сотрудников (issue 20.2).
my-agreement-accept = Я прочитал(а) и принимаю соглашение (редакция { $version })
agreements-title = Соглашения
agreements-scope = Действует для
agreements-version = Редакция
agreements-published = Опубликовано
agreements-language = Язык
agreements-text-title = Заголовок
agreements-text-body = Текст
agreements-publish = Опубликовать новую редакцию
agreements-tariff = Тариф
agreements-item-type = Тип услуги
agreements-none = Соглашений пока нет.
