//! The printable invoice and credit note: the frozen document of the invoices read model
//! rendered as HTML by the askama templates `invoice.html` and `credit_note.html` (around the
//! printable layout `document.html`, every value escaped by the template engine) and as a PDF
//! (module `pdf`) with an embedded Unicode font.
//!
//! What the company's document template said when the invoice was drafted (header, footer,
//! logo, payment details) is printed from the frozen seller details, never from the company as
//! it is now. A client's copy shows nothing internal: no status, no payment id.

mod image;
mod pdf;

use askama::Template;
use base64::Engine;
use fluent_bundle::FluentValue;
use serde::Deserialize;
use uuid::Uuid;

use domain::company::{DocumentTemplate, SellerDetails};
use domain::ids::PaymentId;
use domain::invoice::{InvoicePeriod, PayerDetails};
use domain::tax::{InvoiceLine, Totals};
use projections::invoices::InvoiceRow;

use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::http::state::AppState;

/// The frozen parts of an issued document, as drafted.
#[derive(Debug, Clone, Deserialize)]
struct DocumentParts {
    /// The seller.
    seller: SellerDetails,
    /// The payer.
    payer: PayerDetails,
    /// The priced lines.
    lines: Vec<InvoiceLine>,
    /// The totals.
    totals: Totals,
    /// The legal notice of the tax treatment.
    tax_notice: Option<String>,
    /// The note.
    note: Option<String>,
    /// The period invoiced.
    period: Option<InvoicePeriod>,
    /// The payment of a proforma.
    payment_id: Option<PaymentId>,
}

/// Who a copy of a document is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The provider's staff: the internal status and ids too.
    Staff,
    /// The client: only what the document says to it.
    Client,
}

/// A logo to print: as the HTML shows it and as the PDF draws it.
pub struct LogoImage {
    /// A `data:` URL of the picture, so that the HTML page stands alone.
    data_url: String,
    /// The picture for the PDF; `None` when it is of a kind the PDF cannot draw.
    pdf: Option<image::PdfImage>,
}

/// One printable document: the header, the parties, the lines and the totals, as text in one
/// language (amounts, dates and numbers written the way it writes them).
pub struct Document {
    /// The language every text of the document is in.
    lang: Lang,
    title: String,
    /// The template's header text, a paragraph a line.
    header: Vec<String>,
    /// The template's footer text, a line each.
    footer: Vec<String>,
    /// The payment details: a name and its value, or an empty name and free text.
    payment: Vec<(String, String)>,
    /// The template's logo, when it has one and its bytes are found.
    logo: Option<LogoImage>,
    facts: Vec<(String, String)>,
    seller: Vec<String>,
    payer: Vec<String>,
    lines: Vec<[String; 7]>,
    totals: Vec<(String, String)>,
    notes: Vec<String>,
    /// Whether it is a credit note (printed by `credit_note.html`).
    credit_note: bool,
    /// The number of the invoice a credit note corrects, when it has one.
    corrects: Option<String>,
    /// A contract's text, a paragraph a line; a contract prints no lines and no totals.
    body: Vec<String>,
    /// Whether it is a contract (the parties are the company and the client).
    contract: bool,
}

/// An invoice or a proforma invoice as HTML.
#[derive(Template)]
#[template(path = "invoice.html")]
struct InvoiceHtml<'a> {
    doc: &'a Document,
    headings: [String; 7],
}

/// A credit note as HTML.
#[derive(Template)]
#[template(path = "credit_note.html")]
struct CreditNoteHtml<'a> {
    doc: &'a Document,
    headings: [String; 7],
}

/// The catalogue keys of the lines' column headings.
const LINE_HEADINGS: [&str; 7] = [
    "doc-col-description",
    "doc-col-quantity",
    "doc-col-unit-price",
    "doc-col-discount",
    "doc-col-net",
    "doc-col-vat-rate",
    "doc-col-gross",
];

impl Document {
    /// The document of `invoice` as the read model holds it, copied for `audience` in the
    /// client's language (its notice settings; English for a client who chose none or one the
    /// documents are not written in), with the number of the invoice a credit note corrects read
    /// from the same read model (its id when it has none) and the logo's bytes read from where
    /// files are kept.
    pub async fn read(
        state: &AppState,
        invoice: &InvoiceRow,
        audience: Audience,
    ) -> Result<Document, ApiError> {
        Document::read_in(state, invoice, audience, None).await
    }

    /// [`Document::read`], in `lang` when one is given (staff asking for another language than
    /// the client's).
    pub async fn read_in(
        state: &AppState,
        invoice: &InvoiceRow,
        audience: Audience,
        lang: Option<Lang>,
    ) -> Result<Document, ApiError> {
        let lang = match lang {
            Some(lang) => lang,
            None => client_lang(state, invoice.client_id).await?,
        };
        let (mut document, logo) = Document::parse(invoice, audience, lang)?;
        if let Some(logo) = logo {
            let content = crate::usecases::attachments::content(&state.pool, &logo.sha256).await?;
            if let Some((_, bytes)) = content {
                let data_url = format!(
                    "data:{};base64,{}",
                    logo.content_type.as_str(),
                    base64::engine::general_purpose::STANDARD.encode(&bytes)
                );
                document.logo = Some(LogoImage {
                    data_url,
                    pdf: image::pdf_image(logo.content_type, &bytes),
                });
            }
        }
        if let Some(corrects) = invoice.corrects {
            let number = projections::invoices::get(&state.pool, corrects)
                .await?
                .and_then(|row| row.number);
            document.facts.push((
                lang.t("doc-corrects-invoice"),
                number.clone().unwrap_or_else(|| corrects.to_string()),
            ));
            document.corrects = number;
        }
        Ok(document)
    }

    /// The document of `invoice` as the read model holds it, copied for `audience` in `lang`,
    /// without the logo's bytes.
    pub fn of(invoice: &InvoiceRow, audience: Audience, lang: Lang) -> Result<Document, ApiError> {
        Ok(Document::parse(invoice, audience, lang)?.0)
    }

    /// The document of `invoice` in `lang` and the logo its template names.
    fn parse(
        invoice: &InvoiceRow,
        audience: Audience,
        lang: Lang,
    ) -> Result<(Document, Option<domain::company::Logo>), ApiError> {
        let parts: DocumentParts =
            serde_json::from_value(invoice.document.clone()).map_err(|e| ApiError::internal(&e))?;
        let currency = invoice.currency.as_str();
        let text = |key: &str, args: &[(&str, String)]| {
            let args: Vec<(&str, FluentValue<'_>)> = args
                .iter()
                .map(|(name, value)| (*name, FluentValue::from(value.as_str())))
                .collect();
            lang.t_with(key, &args)
        };
        let amount = |money: &domain::money::Money| lang.amount(money.amount(), currency);
        let kind = lang.t(match invoice.kind.as_str() {
            "proforma" => "doc-proforma",
            "credit_note" => "doc-credit-note",
            _ => "doc-invoice",
        });
        let title = match &invoice.number {
            Some(number) => text(
                "doc-title",
                &[("kind", kind.clone()), ("number", number.clone())],
            ),
            None => text("doc-title-draft", &[("kind", kind.clone())]),
        };
        let mut facts = vec![
            (lang.t("doc-issued-on"), lang.date(invoice.issued_on)),
            (lang.t("doc-due-on"), lang.date(invoice.due_on)),
        ];
        if audience == Audience::Staff {
            let key = format!("doc-status-{}", invoice.status);
            let status = if lang.has(&key) || Lang::En.has(&key) {
                lang.t(&key)
            } else {
                invoice.status.clone()
            };
            facts.push((lang.t("doc-status"), status));
        }
        facts.push((lang.t("doc-currency"), invoice.currency.clone()));
        if let Some(period) = parts.period {
            facts.push((
                lang.t("doc-period"),
                text(
                    "doc-period-range",
                    &[
                        ("start", lang.date(period.start)),
                        ("end", lang.date(period.end)),
                    ],
                ),
            ));
        }
        if let Some(payment) = parts.payment_id.filter(|_| audience == Audience::Staff) {
            facts.push((lang.t("doc-payment"), payment.to_string()));
        }
        let vat_number = |number: &dyn std::fmt::Display| {
            text("doc-vat-number", &[("number", number.to_string())])
        };
        let mut seller = vec![parts.seller.name.clone()];
        seller.extend(parts.seller.address.lines().map(str::to_string));
        seller.push(parts.seller.country.as_str().to_string());
        if let Some(vat) = &parts.seller.vat_number {
            seller.push(vat_number(vat));
        }
        let mut payer = vec![parts.payer.name.clone()];
        if let Some(address) = &parts.payer.address {
            payer.extend(address.lines().map(str::to_string));
        }
        payer.push(parts.payer.country.as_str().to_string());
        if let Some(vat) = &parts.payer.vat_number {
            payer.push(vat_number(vat));
        }
        payer.push(parts.payer.email.clone());
        let lines = parts
            .lines
            .iter()
            .map(|line| {
                [
                    line.description.clone(),
                    number(lang, &line.quantity.normalize().to_string()),
                    amount(&line.unit_price),
                    amount(&line.discount),
                    amount(&line.net),
                    number(lang, &line.tax_rate.to_string()),
                    amount(&line.gross),
                ]
            })
            .collect();
        let mut totals = vec![(lang.t("doc-total-net"), amount(&parts.totals.net))];
        for rate in &parts.totals.by_rate {
            totals.push((
                text(
                    "doc-total-vat",
                    &[
                        ("rate", number(lang, &rate.rate.to_string())),
                        ("net", amount(&rate.net)),
                    ],
                ),
                amount(&rate.tax),
            ));
        }
        totals.push((
            text("doc-total", &[("currency", currency.to_owned())]),
            amount(&parts.totals.gross),
        ));
        if !invoice.credited.is_zero() {
            totals.push((
                lang.t("doc-credited"),
                lang.amount(invoice.credited, currency),
            ));
        }
        let notes = parts.tax_notice.into_iter().chain(parts.note).collect();
        let template = parts.seller.template.unwrap_or_default();
        let logo = template.logo.clone();
        Ok((
            Document {
                lang,
                title,
                header: text_lines(template.header.as_deref()),
                footer: text_lines(template.footer.as_deref()),
                payment: payment_lines(lang, &template),
                logo: None,
                facts,
                seller,
                payer,
                lines,
                totals,
                notes,
                credit_note: invoice.kind == "credit_note",
                corrects: None,
                body: Vec::new(),
                contract: false,
            },
            logo,
        ))
    }

    /// A contract as a printable document in `lang`: its title, number, dates and status, the
    /// company and the client, the text, and the company's document template's header, footer
    /// and payment details as the company has them now.
    pub fn contract(
        lang: Lang,
        contract: &domain::contract::DraftedContract,
        wording: &crate::usecases::contracts::Wording,
        template: Option<&DocumentTemplate>,
    ) -> Document {
        let text = domain::contract::text_in(&wording.texts, lang.code());
        let title = text.map_or_else(
            || {
                lang.t_with(
                    "doc-contract-title",
                    &[("number", FluentValue::from(contract.number.as_str()))],
                )
            },
            |text| text.title.clone(),
        );
        let mut facts = vec![
            (lang.t("doc-contract-number"), contract.number.clone()),
            (lang.t("doc-contract-date"), lang.date(contract.dated_on)),
            (
                lang.t("doc-contract-status"),
                lang.t(&format!("doc-contract-{}", contract.status.as_str())),
            ),
        ];
        if let Some(signed_on) = contract.signed_on {
            facts.push((lang.t("doc-contract-signed-on"), lang.date(signed_on)));
        }
        if let Some(terminated_on) = contract.terminated_on {
            facts.push((
                lang.t("doc-contract-terminated-on"),
                lang.date(terminated_on),
            ));
        }
        let vat_number = |number: &dyn std::fmt::Display| {
            lang.t_with(
                "doc-vat-number",
                &[("number", FluentValue::from(number.to_string()))],
            )
        };
        let company = &wording.company;
        let mut seller = vec![company.name.clone()];
        seller.extend(company.address.lines().map(str::to_string));
        seller.push(company.country.as_str().to_string());
        if let Some(vat) = &company.vat_number {
            seller.push(vat_number(vat));
        }
        let client = &wording.client;
        let mut payer = vec![client.name.clone()];
        if let Some(address) = &client.address {
            payer.extend(address.lines().map(str::to_string));
        }
        payer.push(client.country.as_str().to_string());
        if let Some(vat) = &client.vat_number {
            payer.push(vat_number(vat));
        }
        payer.push(client.email.clone());
        let template = template.cloned().unwrap_or_default();
        Document {
            lang,
            title,
            header: text_lines(template.header.as_deref()),
            footer: text_lines(template.footer.as_deref()),
            payment: Vec::new(),
            logo: None,
            facts,
            seller,
            payer,
            lines: Vec::new(),
            totals: Vec::new(),
            notes: Vec::new(),
            credit_note: false,
            corrects: None,
            body: text
                .map(|text| text_lines(Some(&text.body)))
                .unwrap_or_default(),
            contract: true,
        }
    }

    /// The text of `key` in the document's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The ISO 639-1 code of the document's language, for the HTML's `lang`.
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// The lead of a credit note: which invoice it corrects.
    pub fn corrects_text(&self) -> String {
        match &self.corrects {
            Some(number) => self.lang.t_with(
                "doc-corrects",
                &[("number", FluentValue::from(number.as_str()))],
            ),
            None => self.lang.t("doc-corrects-earlier"),
        }
    }

    /// The lines' column headings in the document's language.
    fn headings(&self) -> [String; 7] {
        LINE_HEADINGS.map(|key| self.lang.t(key))
    }

    /// A `data:` URL of the logo, for the HTML.
    pub fn logo_url(&self) -> Option<&str> {
        self.logo.as_ref().map(|logo| logo.data_url.as_str())
    }

    /// The document as a standalone HTML page: `credit_note.html` for a credit note,
    /// `invoice.html` otherwise, both around the printable layout `document.html`.
    pub fn html(&self) -> Result<String, ApiError> {
        let rendered = if self.credit_note {
            CreditNoteHtml {
                doc: self,
                headings: self.headings(),
            }
            .render()
        } else {
            InvoiceHtml {
                doc: self,
                headings: self.headings(),
            }
            .render()
        };
        rendered.map_err(|e| ApiError::internal(&e))
    }
}

/// The language of `client`'s documents: its notice settings' language when the documents are
/// written in it, English otherwise.
async fn client_lang(state: &AppState, client: Uuid) -> Result<Lang, ApiError> {
    let language = projections::support::notice_language(&state.pool, client).await?;
    Ok(language.as_deref().map_or(Lang::En, Lang::of_tag))
}

/// A decimal number as `lang` writes it: `5.5` in English, `5,5` in Russian.
fn number(lang: Lang, text: &str) -> String {
    match lang {
        Lang::En => text.to_owned(),
        Lang::Ru => text.replace('.', ","),
    }
}

/// The lines of a template text.
fn text_lines(text: Option<&str>) -> Vec<String> {
    text.map(|text| text.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The payment details of `template`, as printed in `lang`: a name and a value, then the free
/// text.
fn payment_lines(lang: Lang, template: &DocumentTemplate) -> Vec<(String, String)> {
    let Some(payment) = &template.payment else {
        return Vec::new();
    };
    let mut lines: Vec<(String, String)> = [
        ("doc-bank", &payment.bank_name),
        ("doc-account-holder", &payment.account_holder),
        ("doc-iban", &payment.iban.as_deref().map(group_iban)),
        ("doc-bic", &payment.bic),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.clone().map(|value| (lang.t(key), value)))
    .collect();
    lines.extend(
        text_lines(payment.text.as_deref())
            .into_iter()
            .map(|line| (String::new(), line)),
    );
    lines
}

/// An IBAN in groups of four, as it is printed.
fn group_iban(iban: &str) -> String {
    iban.as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(payer: &str, credit_note: bool) -> Document {
        Document {
            lang: Lang::En,
            title: "Credit note CN2027-000001".to_string(),
            header: vec!["Thank you — Спасибо".to_string()],
            footer: vec!["Acme · Amtsgericht Berlin".to_string()],
            payment: vec![(
                "IBAN".to_string(),
                "DE89 3704 0044 0532 0130 00".to_string(),
            )],
            logo: None,
            facts: vec![("Status".to_string(), "issued".to_string())],
            seller: vec!["Seller & Co".to_string()],
            payer: vec![payer.to_string()],
            lines: vec![[
                "Hosting <b>mail</b>".to_string(),
                "1".to_string(),
                "5.00".to_string(),
                "0.00".to_string(),
                "5.00".to_string(),
                "21".to_string(),
                "6.05".to_string(),
            ]],
            totals: vec![("Total EUR".to_string(), "6.05".to_string())],
            notes: vec!["Note 'quoted'".to_string()],
            credit_note,
            corrects: Some("INV2027-000001".to_string()),
            body: Vec::new(),
            contract: false,
        }
    }

    #[test]
    fn the_templates_escape_every_value_and_keep_cyrillic() {
        let payer = "<script>alert(1)</script> ООО «Ромашка»";
        let html = document(payer, false).html().unwrap();
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62; ООО «Ромашка»"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
        assert!(html.contains("Seller &#38; Co"));
        assert!(html.contains("Hosting &#60;b&#62;mail&#60;/b&#62;"));
        assert!(html.contains("<td class=\"n\">6.05</td>"));
        assert!(
            !html.contains("id=\"corrects\""),
            "an invoice corrects nothing"
        );
        let note = document(payer, true).html().unwrap();
        assert!(note.contains("This credit note corrects invoice INV2027-000001."));
        assert!(note.contains("&#60;script&#62;"));
    }

    #[test]
    fn the_pdf_embeds_a_subset_unicode_font_with_a_unicode_map() {
        let pdf = document("Борис Иванов — Łódź", false).pdf().unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/CIDFontType2"));
        assert!(text.contains("/Identity-H"));
        assert!(text.contains("/ToUnicode"));
        assert!(text.contains("+DejaVuSans"));
        assert!(!text.contains("Helvetica"));
        assert!(pdf.len() < 60 * 1024, "{} bytes", pdf.len());
    }

    #[test]
    fn an_iban_prints_in_groups_of_four() {
        assert_eq!(
            group_iban("DE89370400440532013000"),
            "DE89 3704 0044 0532 0130 00"
        );
    }
}
