# Item types and their lifecycle policy (issue 19.2).
code-service-overdue = service_overdue
nav-item-types = Item types
item-types-title = Item types
item-types-lead = What tariffs sell, and what happens to a service of each type when it is not paid. A change reaches services already sold at their next billing day; the renewal default applies to new orders.
item-types-saved = Saved.
item-types-grace = Grace days
item-types-suspension = When unpaid after the grace
item-types-deletion = Deleted after (days)
item-types-auto-prolong = Renewed automatically by default
item-types-rule-suspend = suspend
item-types-rule-delete = delete without suspension
item-types-rule-never = never suspend
item-types-yes = yes
item-types-no = no
item-types-define = Define or change a type
item-types-save = Save
