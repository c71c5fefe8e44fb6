# The client groups' discounts on the staff panel (issue 20.6).
nav-group-discounts = Group discounts
group-discounts-title = Client group discounts
group-discounts-lead = Each client group's discount per item type. A client's service is charged the best single discount of its groups', its personal one and its promo code's.
group-discounts-group = Group
group-discounts-clients = Clients
group-discounts-discounts = Discounts
group-discounts-none = none
group-discounts-set = Set a group's discount
group-discounts-hint = An empty percent removes the group's discount on the item type.
group-discounts-save = Save discount
group-discounts-saved = The group's discount is saved.
