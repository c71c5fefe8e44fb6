# Скидки групп и персональные скидки (issue 20.6): форма персональной скидки на странице клиента.
pd-title = Персональная скидка
pd-percent = Процент
pd-item-types = Типы услуг
pd-until = Последнее начало периода
pd-hint = Списывается одна, самая большая скидка: эта, скидка группы или промокода. Пустой процент снимает скидку; без типов услуг — на все типы.
pd-save = Сохранить скидку
done-personal-discount = Персональная скидка сохранена.
staff-problem-invalid-discount-percent = Процент должен быть больше 0 и не больше 100, не более 2 знаков после запятой.
staff-problem-duplicate-item-type = { $detail }
staff-problem-too-many-item-types = { $detail }
staff-problem-client-group-not-found = Такой группы клиентов нет.
discount-personal = персональная скидка
discount-group = скидка группы { $group }
