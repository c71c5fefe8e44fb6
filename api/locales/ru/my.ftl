# Страницы личного кабинета клиента.

my-login-title = Вход в личный кабинет
my-home-title = Ваш кабинет
my-not-allowed-text = Ваша роль в этом аккаунте не даёт доступа к этой странице. Её может изменить владелец аккаунта.
my-not-found-text = В вашем аккаунте нет такой страницы.
my-accounts = Лицевые счета
my-balance-in = Баланс, { $currency }
my-credit-line = Кредитный лимит { $limit } · доступно { $available }
my-no-account = Лицевого счёта пока нет: он откроется с первым платежом или заказом.
my-due = Ближайшие списания
my-no-renewals = Нет услуг с автоматическим продлением.
my-renews-on = Продление
my-period = Период
my-answers = Ответы для вас
my-ticket = Тикет
my-answered = Дата ответа
