# Price changes of tariffs (issue 19): the notice kind's name in the panels.
code-price-change = price_change

# The tariff's staff page: the announced price changes and the form that announces one.
price-change-list = Price changes
price-change-col-previous = Old price
price-change-col-new = New price
price-change-col-effective = Effective from
price-change-col-announced = Announced on
price-change-title = Change a price
price-change-lead = New orders pay the new price at once; services already ordered from their first period starting on or after the day it takes effect. Their clients get a notice now.
price-change-new-price = New price
price-change-effective-on = Effective from (YYYY-MM-DD)
price-change-announce = Announce the change
price-change-saved = The price change is announced.
staff-problem-price-change-too-soon = { $detail }
staff-problem-price-unchanged = { $detail }
