# Group and personal discounts (issue 20.6): the client page's personal discount form.
pd-title = Personal discount
pd-percent = Percent
pd-item-types = Item types
pd-until = Last period start
pd-hint = The best single discount is charged: this one, a group's or the promo code's. An empty percent removes it; no item types means every type.
pd-save = Save discount
done-personal-discount = The personal discount is saved.
staff-problem-invalid-discount-percent = The percent must be above 0 and at most 100, with at most 2 decimal places.
staff-problem-duplicate-item-type = { $detail }
staff-problem-too-many-item-types = { $detail }
staff-problem-client-group-not-found = There is no such client group.
discount-personal = personal discount
discount-group = discount of the group { $group }
