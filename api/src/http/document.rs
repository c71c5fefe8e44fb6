//! The printable invoice and credit note: the frozen document of the invoices read model
//! rendered as HTML by the askama templates `invoice.html` and `credit_note.html` (around the
//! printable layout `document.html`, every value escaped by the template engine) and as a PDF in
//! the standard Helvetica font (nothing to embed).

use askama::Template;
use domain::company::SellerDetails;
use domain::ids::PaymentId;
use domain::invoice::{InvoicePeriod, PayerDetails};
use domain::tax::{InvoiceLine, Totals};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use projections::invoices::InvoiceRow;
use serde::Deserialize;

use crate::http::answer::format_amount;
use crate::http::error::ApiError;
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

/// One printable document: the header, the parties, the lines and the totals, as text.
pub struct Document {
    title: String,
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
}

/// An invoice or a proforma invoice as HTML.
#[derive(Template)]
#[template(path = "invoice.html")]
struct InvoiceHtml<'a> {
    doc: &'a Document,
    headings: [&'static str; 7],
}

/// A credit note as HTML.
#[derive(Template)]
#[template(path = "credit_note.html")]
struct CreditNoteHtml<'a> {
    doc: &'a Document,
    headings: [&'static str; 7],
}

const LINE_HEADINGS: [&str; 7] = [
    "Description",
    "Qty",
    "Unit price",
    "Discount",
    "Net",
    "VAT %",
    "Gross",
];

impl Document {
    /// The document of `invoice` as the read model holds it, with the number of the invoice a
    /// credit note corrects read from the same read model (its id when it has none).
    pub async fn read(state: &AppState, invoice: &InvoiceRow) -> Result<Document, ApiError> {
        let mut document = Document::of(invoice)?;
        if let Some(corrects) = invoice.corrects {
            let number = projections::invoices::get(&state.pool, corrects)
                .await?
                .and_then(|row| row.number);
            document.facts.push((
                "Corrects invoice".to_string(),
                number.clone().unwrap_or_else(|| corrects.to_string()),
            ));
            document.corrects = number;
        }
        Ok(document)
    }

    /// The document of `invoice` as the read model holds it.
    pub fn of(invoice: &InvoiceRow) -> Result<Document, ApiError> {
        let parts: DocumentParts =
            serde_json::from_value(invoice.document.clone()).map_err(|e| ApiError::internal(&e))?;
        let currency = invoice.currency.as_str();
        let kind = match invoice.kind.as_str() {
            "proforma" => "Proforma invoice",
            "credit_note" => "Credit note",
            _ => "Invoice",
        };
        let title = match &invoice.number {
            Some(number) => format!("{kind} {number}"),
            None => format!("{kind} (draft)"),
        };
        let mut facts = vec![
            ("Date of issue".to_string(), invoice.issued_on.to_string()),
            ("Due".to_string(), invoice.due_on.to_string()),
            ("Status".to_string(), invoice.status.clone()),
            ("Currency".to_string(), invoice.currency.clone()),
        ];
        if let Some(period) = parts.period {
            facts.push((
                "Period".to_string(),
                format!("{} to {}", period.start, period.end),
            ));
        }
        if let Some(payment) = parts.payment_id {
            facts.push(("Payment".to_string(), payment.to_string()));
        }
        let mut seller = vec![parts.seller.name.clone()];
        seller.extend(parts.seller.address.lines().map(str::to_string));
        seller.push(parts.seller.country.as_str().to_string());
        if let Some(vat) = &parts.seller.vat_number {
            seller.push(format!("VAT number {vat}"));
        }
        let mut payer = vec![parts.payer.name.clone()];
        if let Some(address) = &parts.payer.address {
            payer.extend(address.lines().map(str::to_string));
        }
        payer.push(parts.payer.country.as_str().to_string());
        if let Some(vat) = &parts.payer.vat_number {
            payer.push(format!("VAT number {vat}"));
        }
        payer.push(parts.payer.email.clone());
        let lines = parts
            .lines
            .iter()
            .map(|line| {
                [
                    line.description.clone(),
                    line.quantity.normalize().to_string(),
                    line.unit_price.amount().to_string(),
                    line.discount.amount().to_string(),
                    line.net.amount().to_string(),
                    line.tax_rate.to_string(),
                    line.gross.amount().to_string(),
                ]
            })
            .collect();
        let mut totals = vec![("Net".to_string(), parts.totals.net.amount().to_string())];
        for rate in &parts.totals.by_rate {
            totals.push((
                format!("VAT {}% on {}", rate.rate, rate.net.amount()),
                rate.tax.amount().to_string(),
            ));
        }
        totals.push((
            format!("Total {currency}"),
            parts.totals.gross.amount().to_string(),
        ));
        if !invoice.credited.is_zero() {
            totals.push((
                "Credited".to_string(),
                format_amount(invoice.credited, currency),
            ));
        }
        let notes = parts.tax_notice.into_iter().chain(parts.note).collect();
        Ok(Document {
            title,
            facts,
            seller,
            payer,
            lines,
            totals,
            notes,
            credit_note: invoice.kind == "credit_note",
            corrects: None,
        })
    }

    /// The document as a standalone HTML page: `credit_note.html` for a credit note,
    /// `invoice.html` otherwise, both around the printable layout `document.html`.
    pub fn html(&self) -> Result<String, ApiError> {
        let rendered = if self.credit_note {
            CreditNoteHtml {
                doc: self,
                headings: LINE_HEADINGS,
            }
            .render()
        } else {
            InvoiceHtml {
                doc: self,
                headings: LINE_HEADINGS,
            }
            .render()
        };
        rendered.map_err(|e| ApiError::internal(&e))
    }

    /// The document as a PDF (A4, Helvetica, as many pages as the lines need).
    pub fn pdf(&self) -> Vec<u8> {
        const TOP: f32 = 800.0;
        const BOTTOM: f32 = 60.0;
        const LEADING: f32 = 14.0;
        let columns: [f32; 7] = [50.0, 290.0, 330.0, 390.0, 440.0, 490.0, 530.0];
        let mut pages: Vec<Content> = Vec::new();
        let mut page = Content::new();
        let mut y = TOP;
        let text = |page: &mut Content, x: f32, y: f32, size: f32, value: &str| {
            page.begin_text();
            page.set_font(Name(b"F1"), size);
            page.next_line(x, y);
            page.show(Str(&win_ansi(value)));
            page.end_text();
        };
        text(&mut page, 50.0, y, 18.0, &self.title);
        y -= 2.0 * LEADING;
        for (name, value) in &self.facts {
            text(&mut page, 50.0, y, 10.0, &format!("{name}: {value}"));
            y -= LEADING;
        }
        y -= LEADING;
        let party_top = y;
        for (x, heading, lines) in [
            (50.0, "Seller", &self.seller),
            (310.0, "Bill to", &self.payer),
        ] {
            let mut line_y = party_top;
            text(&mut page, x, line_y, 11.0, heading);
            for line in lines {
                line_y -= LEADING;
                text(&mut page, x, line_y, 10.0, line);
            }
            y = y.min(line_y);
        }
        y -= 2.0 * LEADING;
        for (x, heading) in columns.iter().zip(LINE_HEADINGS) {
            text(&mut page, *x, y, 9.0, heading);
        }
        y -= LEADING;
        for line in &self.lines {
            if y < BOTTOM {
                pages.push(std::mem::replace(&mut page, Content::new()));
                y = TOP;
            }
            for (x, cell) in columns.iter().zip(line) {
                text(&mut page, *x, y, 9.0, &truncate(cell, 48));
            }
            y -= LEADING;
        }
        y -= LEADING;
        for (name, value) in self
            .totals
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .chain(self.notes.iter().map(|note| (note.as_str(), "")))
        {
            if y < BOTTOM {
                pages.push(std::mem::replace(&mut page, Content::new()));
                y = TOP;
            }
            text(&mut page, 330.0, y, 10.0, name);
            text(&mut page, 530.0, y, 10.0, value);
            y -= LEADING;
        }
        pages.push(page);

        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let font = Ref::new(3);
        let count = i32::try_from(pages.len()).unwrap_or(i32::MAX);
        let page_ids: Vec<Ref> = (0..count).map(|n| Ref::new(4 + 2 * n)).collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids(page_ids.iter().copied()).count(count);
        pdf.type1_font(font)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        for (id, content) in page_ids.iter().zip(pages) {
            let content_id = Ref::new(id.get() + 1);
            let mut page = pdf.page(*id);
            page.media_box(Rect::new(0.0, 0.0, 595.0, 842.0));
            page.parent(tree);
            page.contents(content_id);
            page.resources().fonts().pair(Name(b"F1"), font);
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        pdf.finish()
    }
}

/// At most `max` characters of `text`.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `text` in the PDF's WinAnsi encoding: Latin-1 as it is, a few common signs mapped, anything
/// else as `?` (the standard fonts have no other glyphs).
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            '…' => 0x85,
            '–' => 0x96,
            '—' => 0x97,
            '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{ff}' => u8::try_from(u32::from(c)).unwrap_or(b'?'),
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(payer: &str, credit_note: bool) -> Document {
        Document {
            title: "Credit note CN2027-000001".to_string(),
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
    fn text_outside_win_ansi_becomes_a_question_mark() {
        assert_eq!(
            win_ansi("Müller €5 — ok"),
            b"M\xfcller \x805 \x97 ok".to_vec()
        );
        assert_eq!(win_ansi("Жук"), b"???".to_vec());
    }
}
