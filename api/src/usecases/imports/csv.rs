//! The CSV form of a bundle, one file per kind of thing (`providers.csv`, `tariffs.csv`,
//! `clients.csv`, `services.csv`, `service_addons.csv`), each with a header row naming its
//! columns (RFC 4180: commas, double quotes around a field that holds one, `""` for a quote).
//! An empty cell is an absent field. `tariffs.csv` has one row per price (the tariff's other
//! columns repeated); `service_addons.csv` one row per add-on, naming its service; `companies.csv`,
//! `payers.csv` and `users.csv` one row each (a user's `roles` separated by spaces or `;`);
//! `invoices.csv` one row per invoice line (`description`, `quantity`, `unit_price`, the
//! invoice's other columns repeated). The columns
//! are the JSON fields of `docs/import.md`.

use std::collections::HashMap;

use super::bundle::{
    AddonRow, BadRow, Bundle, ClientRow, CompanyRow, InvoiceLineRow, InvoiceRow, PayerRow,
    PriceRow, ProviderRow, ServiceRow, TariffRow, UserRow,
};

/// One file's rows as maps from column to non-empty cell, with their line numbers.
type Table = Vec<(usize, HashMap<String, String>)>;

/// Splits CSV text into records of fields (quotes may hold commas and line breaks).
fn records(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let (mut quoted, mut line, mut start) = (false, 1, 1);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                if record.iter().any(|f| !f.is_empty()) {
                    out.push((start, std::mem::take(&mut record)));
                }
                record.clear();
                line += 1;
                start = line;
            }
            (_, other) => {
                if other == '\n' {
                    line += 1;
                }
                field.push(other);
            }
        }
    }
    record.push(field);
    if record.iter().any(|f| !f.is_empty()) {
        out.push((start, record));
    }
    out
}

fn table(text: &str) -> Table {
    let mut rows = records(text).into_iter();
    let Some((_, header)) = rows.next() else {
        return Vec::new();
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
    rows.map(|(line, fields)| {
        let cells = header
            .iter()
            .zip(fields)
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(name, value)| (name.clone(), value))
            .collect();
        (line, cells)
    })
    .collect()
}

/// Reads the files of a CSV bundle (`(file name, its text)`; missing files are empty lists) of
/// `source` into the bundle they stand for, or every cell that cannot be read.
pub fn bundle(source: &str, files: &[(String, String)]) -> Result<Bundle, Vec<BadRow>> {
    let file = |name: &str| {
        files
            .iter()
            .find(|(file, _)| file == name)
            .map(|(_, text)| table(text))
            .unwrap_or_default()
    };
    let mut bad = Vec::new();
    let mut bundle = Bundle {
        source: source.to_owned(),
        ..Bundle::default()
    };
    let text = |cells: &HashMap<String, String>, name: &str| cells.get(name).cloned();
    let need = |cells: &HashMap<String, String>, name: &str| text(cells, name).unwrap_or_default();
    let flag = |bad: &mut Vec<BadRow>,
                entity: &str,
                line: usize,
                cells: &HashMap<String, String>,
                name: &str| {
        match cells.get(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => None,
            Some(v) if v == "true" || v == "1" || v == "yes" => Some(true),
            Some(v) if v == "false" || v == "0" || v == "no" => Some(false),
            Some(v) => {
                bad.push(BadRow {
                    entity: entity.to_owned(),
                    row: line,
                    source_id: need(cells, "id"),
                    field: name.to_owned(),
                    problem: format!("{v:?} is not true or false"),
                });
                None
            }
        }
    };
    for (_, cells) in file("providers.csv") {
        bundle.providers.push(ProviderRow {
            id: need(&cells, "id"),
            name: need(&cells, "name"),
            currency: need(&cells, "currency"),
        });
    }
    let mut tariff_at: HashMap<String, usize> = HashMap::new();
    for (_, cells) in file("tariffs.csv") {
        let id = need(&cells, "id");
        let price = match (text(&cells, "period"), text(&cells, "price")) {
            (Some(period), Some(price)) => Some(PriceRow { period, price }),
            _ => None,
        };
        if let Some(&at) = tariff_at.get(&id) {
            if let (Some(tariff), Some(price)) = (bundle.tariffs.get_mut(at), price) {
                tariff.prices.push(price);
            }
            continue;
        }
        tariff_at.insert(id.clone(), bundle.tariffs.len());
        bundle.tariffs.push(TariffRow {
            id,
            provider: need(&cells, "provider"),
            name: need(&cells, "name"),
            item_type: need(&cells, "item_type"),
            prices: price.into_iter().collect(),
            setup_fee: text(&cells, "setup_fee"),
        });
    }
    for (line, cells) in file("clients.csv") {
        let active = flag(&mut bad, "clients", line, &cells, "active");
        bundle.clients.push(ClientRow {
            id: need(&cells, "id"),
            provider: need(&cells, "provider"),
            name: need(&cells, "name"),
            email: need(&cells, "email"),
            kind: text(&cells, "kind"),
            country: need(&cells, "country"),
            active,
            registered_on: text(&cells, "registered_on"),
            balance: text(&cells, "balance"),
            credit_limit: text(&cells, "credit_limit"),
        });
    }
    let mut service_at: HashMap<String, usize> = HashMap::new();
    for (line, cells) in file("services.csv") {
        let auto_prolong = flag(&mut bad, "services", line, &cells, "auto_prolong");
        service_at.insert(need(&cells, "id"), bundle.services.len());
        bundle.services.push(ServiceRow {
            id: need(&cells, "id"),
            client: need(&cells, "client"),
            tariff: need(&cells, "tariff"),
            period: need(&cells, "period"),
            price: text(&cells, "price"),
            addons: Vec::new(),
            ordered_on: text(&cells, "ordered_on"),
            period_start: text(&cells, "period_start"),
            paid_until: need(&cells, "paid_until"),
            status: text(&cells, "status"),
            suspend_reason: text(&cells, "suspend_reason"),
            auto_prolong,
        });
    }
    for (line, cells) in file("service_addons.csv") {
        let service = need(&cells, "service");
        let quantity = match text(&cells, "quantity") {
            None => None,
            Some(q) => match q.trim().parse::<u32>() {
                Ok(q) => Some(q),
                Err(_) => {
                    bad.push(BadRow {
                        entity: "service_addons".to_owned(),
                        row: line,
                        source_id: service.clone(),
                        field: "quantity".to_owned(),
                        problem: format!("{q:?} is not a whole number"),
                    });
                    None
                }
            },
        };
        let Some(at) = service_at.get(&service).copied() else {
            bad.push(BadRow {
                entity: "service_addons".to_owned(),
                row: line,
                source_id: service.clone(),
                field: "service".to_owned(),
                problem: format!("no service {service:?} in services.csv"),
            });
            continue;
        };
        if let Some(row) = bundle.services.get_mut(at) {
            row.addons.push(AddonRow {
                code: need(&cells, "code"),
                name: need(&cells, "name"),
                quantity,
                price: need(&cells, "price"),
            });
        }
    }
    for (_, cells) in file("companies.csv") {
        bundle.companies.push(CompanyRow {
            id: need(&cells, "id"),
            provider: need(&cells, "provider"),
            name: need(&cells, "name"),
            country: need(&cells, "country"),
            vat_number: text(&cells, "vat_number"),
            address: need(&cells, "address"),
            invoice_prefix: text(&cells, "invoice_prefix"),
        });
    }
    for (_, cells) in file("payers.csv") {
        bundle.payers.push(PayerRow {
            id: need(&cells, "id"),
            client: need(&cells, "client"),
            kind: text(&cells, "kind"),
            name: need(&cells, "name"),
            country: need(&cells, "country"),
            vat_number: text(&cells, "vat_number"),
            registration_number: text(&cells, "registration_number"),
            address: text(&cells, "address"),
            email: text(&cells, "email"),
        });
    }
    for (_, cells) in file("users.csv") {
        bundle.users.push(UserRow {
            id: need(&cells, "id"),
            client: need(&cells, "client"),
            email: need(&cells, "email"),
            name: text(&cells, "name"),
            password_hash: text(&cells, "password_hash"),
            // Roles separated by spaces or semicolons: `owner` or `billing;technical`.
            roles: text(&cells, "roles").map(|roles| {
                roles
                    .split([' ', ';'])
                    .filter(|role| !role.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
        });
    }
    // One row per line, the invoice's columns repeated.
    let mut invoice_at: HashMap<String, usize> = HashMap::new();
    for (_, cells) in file("invoices.csv") {
        let id = need(&cells, "id");
        let line = InvoiceLineRow {
            description: need(&cells, "description"),
            quantity: text(&cells, "quantity"),
            unit_price: need(&cells, "unit_price"),
        };
        if let Some(&at) = invoice_at.get(&id) {
            if let Some(invoice) = bundle.invoices.get_mut(at) {
                invoice.lines.push(line);
            }
            continue;
        }
        invoice_at.insert(id.clone(), bundle.invoices.len());
        bundle.invoices.push(InvoiceRow {
            id,
            client: need(&cells, "client"),
            company: need(&cells, "company"),
            number: need(&cells, "number"),
            issued_on: need(&cells, "issued_on"),
            due_on: need(&cells, "due_on"),
            tax_rate: text(&cells, "tax_rate"),
            tax_mode: text(&cells, "tax_mode"),
            lines: vec![line],
            total: text(&cells, "total"),
        });
    }
    if bad.is_empty() { Ok(bundle) } else { Err(bad) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks() {
        let rows = records("id,name\n1,\"Acme, \"\"Ltd\"\"\nSecond line\"\n2,Plain\n");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].1, vec!["1", "Acme, \"Ltd\"\nSecond line"]);
        assert_eq!(rows[2], (4, vec!["2".to_owned(), "Plain".to_owned()]));
    }

    #[test]
    fn an_invoice_with_two_lines_is_one_invoice_and_roles_split() {
        let files = vec![
            (
                "invoices.csv".to_owned(),
                "id,client,company,number,issued_on,due_on,total,description,quantity,unit_price\n\
                 i1,c1,co1,WH-1,2027-01-10,2027-01-24,13.00,VDS M,,10.00\n\
                 i1,c1,co1,WH-1,2027-01-10,2027-01-24,13.00,Extra IPv4,2,1.50\n"
                    .to_owned(),
            ),
            (
                "users.csv".to_owned(),
                "id,client,email,roles\nu1,c1,a@example.com,billing;technical\n".to_owned(),
            ),
        ];
        let bundle = bundle("whmcs", &files).unwrap();
        assert_eq!(bundle.invoices.len(), 1);
        assert_eq!(bundle.invoices[0].lines.len(), 2);
        assert_eq!(bundle.invoices[0].lines[1].quantity.as_deref(), Some("2"));
        assert_eq!(
            bundle.users[0].roles,
            Some(vec!["billing".to_owned(), "technical".to_owned()])
        );
    }

    #[test]
    fn a_tariff_with_two_prices_is_one_tariff() {
        let files = vec![(
            "tariffs.csv".to_owned(),
            "id,provider,name,item_type,period,price\nt1,p1,VDS,vds,P1M,9.90\nt1,p1,VDS,vds,P12M,99.00\n"
                .to_owned(),
        )];
        let bundle = bundle("whmcs", &files).unwrap();
        assert_eq!(bundle.tariffs.len(), 1);
        assert_eq!(bundle.tariffs[0].prices.len(), 2);
    }
}
