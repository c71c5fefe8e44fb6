# Изменения цен тарифов (issue 19): название вида уведомления в панелях.
code-price-change = изменение цены

# Страница тарифа для сотрудников: объявленные изменения цены и форма, объявляющая новое.
price-change-list = Изменения цены
price-change-col-previous = Старая цена
price-change-col-new = Новая цена
price-change-col-effective = Действует с
price-change-col-announced = Объявлено
price-change-title = Изменить цену
price-change-lead = Новые заказы платят новую цену сразу, уже заказанные услуги — с первого периода, начинающегося в день вступления в силу или позже. Их клиенты получают уведомление сейчас.
price-change-new-price = Новая цена
price-change-effective-on = Действует с (ГГГГ-ММ-ДД)
price-change-announce = Объявить изменение
price-change-saved = Изменение цены объявлено.
staff-problem-price-change-too-soon = Слишком ранняя дата: клиентов нужно предупредить заранее ({ $detail }).
staff-problem-price-unchanged = Цена уже такая ({ $detail }).
