//! The PDF of a document, in DejaVu Sans (vendored under `api/assets/fonts`, with its licence),
//! so that any name prints: Cyrillic, Greek, Polish and German alike.
//!
//! Each font is embedded as a CIDFontType2 under `Identity-H`, subset to the glyphs the document
//! uses (typst's `subsetter`), with a `ToUnicode` map so that the text can be extracted and
//! searched. Text is laid out first, recording the glyphs; the fonts are then subset, and the
//! pages written with the subset's glyph ids. Numbers are right-aligned by the fonts' advances.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

use super::Document;
use super::image::{Colors, PdfImage, deflate};
use crate::http::error::ApiError;

/// DejaVu Sans.
static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
static BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// A4, in points.
const PAGE: Rect = Rect {
    x1: 0.0,
    y1: 0.0,
    x2: 595.0,
    y2: 842.0,
};
const LEFT: f32 = 50.0;
const RIGHT: f32 = 545.0;
const TOP: f32 = 800.0;
const BOTTOM: f32 = 50.0;
const LEADING: f32 = 14.0;
/// The largest box a logo is scaled into, in points.
const LOGO_BOX: (f32, f32) = (160.0, 60.0);

/// Where each line column ends (the description's starts at `LEFT`); numbers end there.
const COLUMN_ENDS: [f32; 7] = [250.0, 280.0, 340.0, 395.0, 450.0, 490.0, RIGHT];

/// The `Identity` collection every font here uses.
const IDENTITY: SystemInfo<'static> = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

/// Which of the two fonts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Weight {
    Regular = 0,
    Bold = 1,
}

impl Weight {
    /// Its place in `Layout::fonts`.
    fn index(self) -> usize {
        match self {
            Weight::Regular => 0,
            Weight::Bold => 1,
        }
    }
}

/// `n` as a float (saturating at 65535, far beyond any count here).
fn float(n: impl TryInto<u16>) -> f32 {
    f32::from(n.try_into().unwrap_or(u16::MAX))
}

/// One font: its face and the glyphs used, each with the character it shows.
struct Font {
    data: &'static [u8],
    face: Face<'static>,
    used: BTreeMap<u16, char>,
}

impl Font {
    fn new(data: &'static [u8]) -> Result<Font, ApiError> {
        let face = Face::parse(data, 0).map_err(|e| ApiError::internal(&e))?;
        Ok(Font {
            data,
            face,
            used: BTreeMap::new(),
        })
    }

    /// The glyph of `c` (the font's missing glyph, 0, when it has none).
    fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).map_or(0, |g| g.0)
    }

    /// The advance of `glyph` in thousandths of the font size.
    fn advance(&self, glyph: u16) -> f32 {
        let units = f32::from(self.face.units_per_em().max(1));
        f32::from(self.face.glyph_hor_advance(GlyphId(glyph)).unwrap_or(0)) * 1000.0 / units
    }

    /// The width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
            / 1000.0
    }
}

/// What a page draws, before the fonts are subset.
enum Op {
    Text {
        weight: Weight,
        size: f32,
        x: f32,
        y: f32,
        text: String,
    },
    Logo {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
    },
    Rule {
        y: f32,
    },
}

/// The pages being laid out.
struct Layout {
    fonts: [Font; 2],
    pages: Vec<Vec<Op>>,
    y: f32,
    bottom: f32,
}

impl Layout {
    fn text(&mut self, weight: Weight, size: f32, x: f32, text: &str) {
        let (page, y) = (self.pages.len().saturating_sub(1), self.y);
        self.text_at(page, weight, size, (x, y), text);
    }

    /// `text` at `(x, y)` on page `page`.
    fn text_at(&mut self, page: usize, weight: Weight, size: f32, (x, y): (f32, f32), text: &str) {
        let font = &mut self.fonts[weight.index()];
        for c in text.chars() {
            let glyph = font.glyph(c);
            font.used.entry(glyph).or_insert(c);
        }
        if let Some(ops) = self.pages.get_mut(page) {
            ops.push(Op::Text {
                weight,
                size,
                x,
                y,
                text: text.to_string(),
            });
        }
    }

    /// `text` ending at `right`.
    fn right(&mut self, weight: Weight, size: f32, right: f32, text: &str) {
        let width = self.fonts[weight.index()].width(text, size);
        self.text(weight, size, right - width, text);
    }

    fn op(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// Moves down one line of `height`, first to a new page when it would not fit.
    fn down(&mut self, height: f32) {
        if self.y - height < self.bottom {
            self.pages.push(Vec::new());
            self.y = TOP;
        } else {
            self.y -= height;
        }
    }

    /// `text` cut to `width` at `size`, with an ellipsis when cut.
    fn fit(&self, weight: Weight, size: f32, width: f32, text: &str) -> String {
        let font = &self.fonts[weight.index()];
        if font.width(text, size) <= width {
            return text.to_string();
        }
        let mut cut = String::new();
        for c in text.chars() {
            if font.width(&format!("{cut}{c}…"), size) > width {
                break;
            }
            cut.push(c);
        }
        cut.push('…');
        cut
    }

    /// `text` broken into lines no wider than `width` at `size`, at spaces where it can.
    fn wrap(&self, weight: Weight, size: f32, width: f32, text: &str) -> Vec<String> {
        let font = &self.fonts[weight.index()];
        let mut lines = Vec::new();
        for paragraph in text.lines() {
            let mut line = String::new();
            for word in paragraph.split(' ') {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if font.width(&candidate, size) <= width || line.is_empty() {
                    line = candidate;
                } else {
                    lines.push(std::mem::replace(&mut line, word.to_string()));
                }
            }
            lines.push(line);
        }
        lines
            .into_iter()
            .map(|line| self.fit(weight, size, width, &line))
            .collect()
    }

    /// Writes `text` wrapped to the page's width, a line at a time.
    fn paragraph(&mut self, weight: Weight, size: f32, text: &str) {
        for line in self.wrap(weight, size, RIGHT - LEFT, text) {
            self.down(size + 4.0);
            self.text(weight, size, LEFT, &line);
        }
    }
}

impl Document {
    /// The document as a PDF: A4, as many pages as the lines need, the logo at the top right,
    /// the footer at the foot of every page.
    pub fn pdf(&self) -> Result<Vec<u8>, ApiError> {
        let image = self.logo.as_ref().and_then(|logo| logo.pdf.clone());
        let fonts = [Font::new(REGULAR)?, Font::new(BOLD)?];
        let footer_height = 10.0 * float(self.footer.len());
        let mut layout = Layout {
            fonts,
            pages: vec![Vec::new()],
            y: TOP,
            bottom: BOTTOM + footer_height,
        };
        let size = if let Some(image) = &image {
            let scale = (LOGO_BOX.0 / float(image.width)).min(LOGO_BOX.1 / float(image.height));
            let (width, height) = (float(image.width) * scale, float(image.height) * scale);
            layout.op(Op::Logo {
                x: RIGHT - width,
                y: TOP + 18.0 - height,
                width,
                height,
            });
            Some(height)
        } else {
            None
        };
        layout.text(Weight::Bold, 18.0, LEFT, &self.title);
        for line in &self.header {
            layout.paragraph(Weight::Regular, 10.0, line);
        }
        if let Some(height) = size {
            // Below the logo, whatever the header's length.
            layout.y = layout.y.min(TOP + 18.0 - height);
        }
        layout.down(LEADING);
        for (name, value) in &self.facts {
            layout.down(LEADING);
            layout.text(Weight::Bold, 10.0, LEFT, name);
            layout.text(Weight::Regular, 10.0, LEFT + 120.0, value);
        }
        layout.down(LEADING);
        let party_top = layout.y;
        let mut lowest = party_top;
        let (seller_heading, payer_heading) = if self.contract {
            ("doc-contract-company", "doc-contract-client")
        } else {
            ("doc-seller", "doc-bill-to")
        };
        for (x, heading, lines) in [
            (LEFT, self.t(seller_heading), &self.seller),
            (310.0, self.t(payer_heading), &self.payer),
        ] {
            layout.y = party_top;
            layout.down(LEADING);
            layout.text(Weight::Bold, 11.0, x, &heading);
            for line in lines {
                layout.down(LEADING);
                let line = layout.fit(Weight::Regular, 10.0, 235.0, line);
                layout.text(Weight::Regular, 10.0, x, &line);
            }
            lowest = lowest.min(layout.y);
        }
        layout.y = lowest;
        layout.down(2.0 * LEADING);
        if self.contract {
            for paragraph in &self.body {
                if paragraph.trim().is_empty() {
                    layout.down(LEADING / 2.0);
                } else {
                    layout.paragraph(Weight::Regular, 10.0, paragraph);
                }
            }
        } else {
            self.lines_table(&mut layout);
        }
        layout.down(LEADING);
        for (index, (name, value)) in self.totals.iter().enumerate() {
            layout.down(LEADING);
            let weight = if index + 1 == self.totals.len() {
                Weight::Bold
            } else {
                Weight::Regular
            };
            layout.text(weight, 10.0, 300.0, name);
            layout.right(weight, 10.0, RIGHT, value);
        }
        if !self.payment.is_empty() {
            layout.down(LEADING);
            layout.down(LEADING);
            layout.text(Weight::Bold, 11.0, LEFT, &self.t("doc-payment-details"));
            for (name, value) in &self.payment {
                if name.is_empty() {
                    layout.paragraph(Weight::Regular, 10.0, value);
                } else {
                    layout.down(LEADING);
                    layout.text(Weight::Regular, 10.0, LEFT, name);
                    layout.text(Weight::Regular, 10.0, LEFT + 120.0, value);
                }
            }
        }
        layout.down(LEADING / 2.0);
        for note in &self.notes {
            layout.paragraph(Weight::Regular, 9.0, note);
        }
        // The footer, on every page.
        let footer: Vec<String> = self
            .footer
            .iter()
            .map(|line| layout.fit(Weight::Regular, 8.0, RIGHT - LEFT, line))
            .collect();
        for page in 0..layout.pages.len() {
            for (index, line) in footer.iter().rev().enumerate() {
                let y = 30.0 + 10.0 * float(index);
                layout.text_at(page, Weight::Regular, 8.0, (LEFT, y), line);
            }
        }
        write(layout, image.as_ref())
    }

    /// The lines' table: headings in bold over a rule, descriptions cut to their column,
    /// numbers ending at their column's end.
    fn lines_table(&self, layout: &mut Layout) {
        let titles = self.headings();
        let headings = |layout: &mut Layout| {
            for (index, heading) in titles.iter().enumerate() {
                if index == 0 {
                    layout.text(Weight::Bold, 9.0, LEFT, heading);
                } else {
                    layout.right(Weight::Bold, 9.0, COLUMN_ENDS[index], heading);
                }
            }
            layout.op(Op::Rule { y: layout.y - 4.0 });
        };
        headings(layout);
        for line in &self.lines {
            let pages = layout.pages.len();
            layout.down(LEADING);
            if layout.pages.len() != pages {
                headings(layout);
                layout.down(LEADING);
            }
            for (index, cell) in line.iter().enumerate() {
                if index == 0 {
                    let cell = layout.fit(Weight::Regular, 9.0, COLUMN_ENDS[0] - LEFT - 5.0, cell);
                    layout.text(Weight::Regular, 9.0, LEFT, &cell);
                } else {
                    layout.right(Weight::Regular, 9.0, COLUMN_ENDS[index], cell);
                }
            }
        }
    }
}

/// The laid-out pages as a PDF: the fonts subset and embedded, the logo drawn.
fn write(layout: Layout, image: Option<&PdfImage>) -> Result<Vec<u8>, ApiError> {
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut id = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = id();
    let tree = id();
    let font_ids: Vec<[Ref; 5]> = (0..2).map(|_| [id(), id(), id(), id(), id()]).collect();
    let image_ids = [id(), id()];
    let page_ids: Vec<(Ref, Ref)> = layout.pages.iter().map(|_| (id(), id())).collect();
    pdf.catalog(catalog).pages(tree);
    let count = i32::try_from(page_ids.len()).unwrap_or(i32::MAX);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(count);

    let mut remappers = Vec::new();
    for (font, ids) in layout.fonts.iter().zip(&font_ids) {
        remappers.push(embed(&mut pdf, font, *ids)?);
    }
    if let Some(image) = image {
        write_image(&mut pdf, image, image_ids);
    }
    for (ops, (page_id, content_id)) in layout.pages.iter().zip(&page_ids) {
        let mut content = Content::new();
        for op in ops {
            match op {
                Op::Text {
                    weight,
                    size,
                    x,
                    y,
                    text,
                } => {
                    let index = weight.index();
                    let (font, remapper) = (&layout.fonts[index], &remappers[index]);
                    let encoded: Vec<u8> = text
                        .chars()
                        .flat_map(|c| remapper.get(font.glyph(c)).unwrap_or(0).to_be_bytes())
                        .collect();
                    content.begin_text();
                    content.set_font(Name(if index == 0 { b"F1" } else { b"F2" }), *size);
                    content.next_line(*x, *y);
                    content.show(Str(&encoded));
                    content.end_text();
                }
                Op::Logo {
                    x,
                    y,
                    width,
                    height,
                } => {
                    content.save_state();
                    content.transform([*width, 0.0, 0.0, *height, *x, *y]);
                    content.x_object(Name(b"Im1"));
                    content.restore_state();
                }
                Op::Rule { y } => {
                    content.set_line_width(0.5);
                    content.move_to(LEFT, *y);
                    content.line_to(RIGHT, *y);
                    content.stroke();
                }
            }
        }
        let mut page = pdf.page(*page_id);
        page.media_box(PAGE);
        page.parent(tree);
        page.contents(*content_id);
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Name(b"F1"), font_ids[0][0]);
        fonts.pair(Name(b"F2"), font_ids[1][0]);
        fonts.finish();
        if image.is_some() {
            resources.x_objects().pair(Name(b"Im1"), image_ids[0]);
        }
        resources.finish();
        page.finish();
        pdf.stream(*content_id, &deflate(&content.finish()))
            .filter(Filter::FlateDecode);
    }
    Ok(pdf.finish())
}

/// Embeds `font` subset to its used glyphs under `ids` (Type0 font, CID font, descriptor,
/// font file, ToUnicode map); returns how its glyphs were renumbered.
fn embed(pdf: &mut Pdf, font: &Font, ids: [Ref; 5]) -> Result<GlyphRemapper, ApiError> {
    let [type0, cid, descriptor, file, cmap] = ids;
    let mut remapper = GlyphRemapper::new();
    for glyph in font.used.keys() {
        remapper.remap(*glyph);
    }
    let subset = subsetter::subset(font.data, 0, &remapper).map_err(|e| ApiError::internal(&e))?;
    let postscript = font
        .face
        .names()
        .into_iter()
        .find(|name| name.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .and_then(|name| name.to_string())
        .unwrap_or_else(|| "DejaVuSans".to_string());
    // The subset's tag: six capitals, the same for the same glyphs.
    let tag: String = font
        .used
        .keys()
        .fold(5381u32, |hash, glyph| {
            hash.wrapping_mul(33) ^ u32::from(*glyph)
        })
        .to_be_bytes()
        .iter()
        .chain(b"AB")
        .map(|byte| char::from(b'A' + byte % 26))
        .collect();
    let base = format!("{tag}+{postscript}");

    pdf.type0_font(type0)
        .base_font(Name(base.as_bytes()))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);

    let widths: Vec<f32> = (0..remapper.num_gids())
        .map(|new| {
            let old = font
                .used
                .keys()
                .find(|old| remapper.get(**old) == Some(new))
                .copied()
                .unwrap_or(0);
            font.advance(old)
        })
        .collect();
    let mut cid_font = pdf.cid_font(cid);
    cid_font
        .subtype(CidFontType::Type2)
        .base_font(Name(base.as_bytes()))
        .system_info(IDENTITY)
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    cid_font.widths().consecutive(0, widths);
    cid_font.finish();

    let units = f32::from(font.face.units_per_em().max(1));
    let scale = |value: i16| f32::from(value) * 1000.0 / units;
    let bbox = font.face.global_bounding_box();
    pdf.font_descriptor(descriptor)
        .name(Name(base.as_bytes()))
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            scale(bbox.x_min),
            scale(bbox.y_min),
            scale(bbox.x_max),
            scale(bbox.y_max),
        ))
        .italic_angle(0.0)
        .ascent(scale(font.face.ascender()))
        .descent(scale(font.face.descender()))
        .cap_height(scale(
            font.face.capital_height().unwrap_or(font.face.ascender()),
        ))
        .stem_v(80.0)
        .font_file2(file);

    let length = i32::try_from(subset.len()).unwrap_or(i32::MAX);
    pdf.stream(file, &deflate(&subset))
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), length);

    let mut unicode = UnicodeCmap::new(Name(b"Custom"), IDENTITY);
    for (old, c) in &font.used {
        if let Some(new) = remapper.get(*old)
            && *old != 0
        {
            unicode.pair(new, *c);
        }
    }
    pdf.cmap(cmap, &unicode.finish());
    Ok(remapper)
}

/// Writes `image` (and its alpha mask) as image XObjects under `ids`.
fn write_image(pdf: &mut Pdf, image: &PdfImage, ids: [Ref; 2]) {
    let width = i32::try_from(image.width).unwrap_or(1);
    let height = i32::try_from(image.height).unwrap_or(1);
    let mut xobject = pdf.image_xobject(ids[0], &image.data);
    xobject.filter(if image.jpeg {
        Filter::DctDecode
    } else {
        Filter::FlateDecode
    });
    xobject.width(width);
    xobject.height(height);
    match image.colors {
        Colors::Gray => xobject.color_space().device_gray(),
        Colors::Rgb => xobject.color_space().device_rgb(),
        Colors::Cmyk => xobject.color_space().device_cmyk(),
    }
    xobject.bits_per_component(8);
    if image.alpha.is_some() {
        xobject.s_mask(ids[1]);
    }
    xobject.finish();
    if let Some(alpha) = &image.alpha {
        let mut mask = pdf.image_xobject(ids[1], alpha);
        mask.filter(Filter::FlateDecode);
        mask.width(width);
        mask.height(height);
        mask.color_space().device_gray();
        mask.bits_per_component(8);
    }
}
