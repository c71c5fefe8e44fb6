-- Group and personal discounts (issue 20.6), as the `clients` projection copies them from
-- ClientGroupDiscountSet and PersonalDiscountSet: a group's discounts as {"<item type>": "<percent>"},
-- a client's personal discount as the event's JSON (absent when it has none).
ALTER TABLE client_groups ADD COLUMN discounts jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE clients ADD COLUMN personal_discount jsonb;
