#!/usr/bin/env python3
"""An import bundle of N clients with two services each, the shape of tests/it/import.rs's
generator (paid-until dates around 2027-02-01, balances of every sign, every tenth client with a
payer, a user with a WHMCS md5 hash and an open invoice). For `billing import`'s figure in
BENCHMARKS.md:

    python3 tests/bench/import-bundle.py 10000 /tmp/bundle.json
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/imp_bench billing migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/imp_bench billing import /tmp/bundle.json
"""
import datetime
import json
import sys


def generate(clients):
    as_of = datetime.date(2027, 2, 1)
    client_rows, service_rows, payers, users, invoices = [], [], [], [], []
    for c in range(clients):
        client = f"c{c}"
        if c % 10 == 0:
            payers.append({"id": f"pr{c}", "client": client, "kind": "company",
                           "name": f"Client {c} GmbH", "country": "DE",
                           "address": "Hauptstr. 1\n10115 Berlin"})
            users.append({"id": f"u{c}", "client": client, "email": f"user{c}@example.com",
                          "name": f"User {c}",
                          "password_hash": "5f4dcc3b5aa765d61d8327deb882cf99"})
            invoices.append({"id": f"i{c}", "client": client, "company": "co1",
                             "number": f"WH-{1000 + c}", "issued_on": "2027-01-10",
                             "due_on": "2027-01-24", "tax_rate": "19", "total": "15.47",
                             "lines": [{"description": "VDS M", "unit_price": "10.00"},
                                       {"description": "Extra IPv4", "quantity": "2",
                                        "unit_price": "1.50"}]})
        due_here = False
        for s in (2 * c, 2 * c + 1):
            paid_until = as_of + datetime.timedelta(days=s % 45 - 5)
            yearly, suspended, auto = s % 7 == 0, s % 31 == 0, s % 53 != 1
            row = {"id": f"s{s}", "client": client, "tariff": "t1",
                   "period": "P12M" if yearly else "P1M", "ordered_on": "2024-03-15",
                   "paid_until": paid_until.isoformat()}
            if s % 10 == 3:
                row["addons"] = [{"code": "ip", "name": "Extra IPv4", "quantity": 2,
                                  "price": "3.00"}]
            if suspended:
                row["status"], row["suspend_reason"] = "suspended", "staff"
            if not auto:
                row["auto_prolong"] = False
            due_here |= paid_until <= as_of and not suspended and auto
            service_rows.append(row)
        balance, limit = ("150.00", None) if due_here else [
            ("0.00", None), ("-12.34", "20.00"), ("7.77", None), ("1234.56", "5.00")][c % 4]
        row = {"id": client, "provider": "p1", "name": f"Client {c}",
               "email": f"client{c}@example.com", "country": "DE",
               "registered_on": "2021-06-01", "balance": balance}
        if limit:
            row["credit_limit"] = limit
        if c % 3 == 0:
            row["kind"] = "company"
        client_rows.append(row)
    return {
        "source": "whmcs",
        "providers": [{"id": "p1", "name": "Moved Hosting", "currency": "EUR"}],
        "tariffs": [{"id": "t1", "provider": "p1", "name": "VDS M", "item_type": "vds",
                     "prices": [{"period": "P1M", "price": "10.00"},
                                {"period": "P12M", "price": "60.00"}]}],
        "clients": client_rows,
        "services": service_rows,
        "companies": [{"id": "co1", "provider": "p1", "name": "Moved Hosting GmbH",
                       "country": "DE", "address": "Main St 1\n10115 Berlin",
                       "invoice_prefix": "MH"}],
        "payers": payers,
        "users": users,
        "invoices": invoices,
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    out = sys.argv[2] if len(sys.argv) > 2 else "bundle.json"
    with open(out, "w") as f:
        json.dump(generate(count), f)
