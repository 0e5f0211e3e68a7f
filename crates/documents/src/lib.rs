//! Qyzmet's documents as PDF: results (a permission, a decision assigning a
//! payment, a motivated refusal) and receipts, laid out on A4 with real text
//! in an embedded font that has every Kazakh letter (DejaVu Sans, see
//! `fonts/LICENSE`), and a QR code of the page that verifies them.
//!
//! Pure: a [`Content`] in, PDF bytes out. What the document says (names from
//! the catalog, the amount, the grounds) is decided by the caller; this crate
//! owns only layout, fonts and the QR code. The same content always gives
//! the same bytes, so a document job run twice renders the same file.

use std::sync::LazyLock;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::Document;

mod qr;
pub use qr::{qr_matrix, QrMatrix};

static REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// A font for drawing (krilla), its metrics for line breaking, and its
/// shaper, parsed once: krilla's `draw_text` would parse the font's layout
/// tables again for every line.
struct Face {
    pdf: Font,
    metrics: ttf_parser::Face<'static>,
    shaper: rustybuzz::Face<'static>,
}

impl Face {
    fn load(ttf: &'static [u8]) -> Face {
        Face {
            pdf: Font::new(ttf.into(), 0).expect("the embedded font reads"),
            metrics: ttf_parser::Face::parse(ttf, 0).expect("the embedded font parses"),
            shaper: rustybuzz::Face::from_slice(ttf, 0).expect("the embedded font shapes"),
        }
    }

    /// The glyphs of `text`, shaped as krilla's `draw_text` shapes them (its
    /// `naive_shape`, direction guessed from the text), so the PDF is the
    /// same byte for byte.
    fn shape(&self, text: &str) -> Vec<KrillaGlyph> {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let forward = matches!(
            buffer.direction(),
            rustybuzz::Direction::LeftToRight | rustybuzz::Direction::TopToBottom
        );
        let output = rustybuzz::shape(&self.shaper, &[], buffer);
        let upem = self.pdf.units_per_em();
        let (positions, infos) = (output.glyph_positions(), output.glyph_infos());
        let mut glyphs = Vec::with_capacity(infos.len());
        for (i, (pos, info)) in positions.iter().zip(infos).enumerate() {
            // The cluster ends where the next cluster (in text order) starts.
            let same = |j: &usize| infos[*j].cluster == info.cluster;
            let end = if forward {
                (i + 1..infos.len()).find(|j| !same(j))
            } else {
                (0..i).rev().find(|j| !same(j))
            }
            .map_or(text.len(), |j| infos[j].cluster as usize);
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                pos.x_advance as f32 / upem,
                pos.x_offset as f32 / upem,
                pos.y_offset as f32 / upem,
                pos.y_advance as f32 / upem,
                info.cluster as usize..end,
                None,
            ));
        }
        glyphs
    }

    /// The width of `text` at `size` points, from the advances of its glyphs
    /// (no kerning: DejaVu's is slight, and a line then errs on the short side
    /// by at most a point or two).
    fn width(&self, text: &str, size: f32) -> f32 {
        let upem = f32::from(self.metrics.units_per_em());
        let units: u32 = text
            .chars()
            .map(|c| {
                self.metrics
                    .glyph_index(c)
                    .and_then(|g| self.metrics.glyph_hor_advance(g))
                    .map_or(0, u32::from)
            })
            .sum();
        units as f32 * size / upem
    }
}

static REGULAR: LazyLock<Face> = LazyLock::new(|| Face::load(REGULAR_TTF));
static BOLD: LazyLock<Face> = LazyLock::new(|| Face::load(BOLD_TTF));

/// Whether the embedded font can draw every character of `text` (the caller
/// may check data from outside before rendering it).
pub fn font_covers(text: &str) -> bool {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .all(|c| REGULAR.metrics.glyph_index(c).is_some() && BOLD.metrics.glyph_index(c).is_some())
}

/// What a document says, in the order it says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// BCP 47 language of the text (`kk`, `ru`, `en`), for the PDF's metadata.
    pub lang: String,
    /// Above the title: who issues it (the provider).
    pub issuer: String,
    /// The document's name, e.g. the catalog's result form name.
    pub title: String,
    /// Label and value pairs: number, date, applicant, signer…
    pub fields: Vec<(String, String)>,
    /// Paragraphs of the body; a paragraph starting with "• " is a list item.
    pub body: Vec<String>,
    /// Small print at the foot of the text: legal citations, and the
    /// labelled placeholder where the catalog has no confirmed form yet.
    pub notes: Vec<String>,
    /// The public verify page; encoded in the QR code and printed under it.
    pub verify_url: String,
    /// Beside the QR code, e.g. "Check this document at".
    pub verify_label: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the verify address does not fit a QR code: {0}")]
    Qr(String),
    #[error("the text has a character the embedded font cannot draw: {0:?}")]
    Glyph(char),
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.0;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN;
const QR_SIZE: f32 = 96.0;

/// Lays `content` out on A4 pages and returns the PDF.
pub fn render(content: &Content) -> Result<Vec<u8>, DocumentError> {
    for text in std::iter::once(&content.issuer)
        .chain([&content.title, &content.verify_label, &content.verify_url])
        .chain(content.fields.iter().flat_map(|(l, v)| [l, v]))
        .chain(&content.body)
        .chain(&content.notes)
    {
        if let Some(c) = text
            .chars()
            .find(|c| !c.is_whitespace() && REGULAR.metrics.glyph_index(*c).is_none())
        {
            return Err(DocumentError::Glyph(c));
        }
    }
    let qr = qr_matrix(&content.verify_url)?;

    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(content.title.clone())
            .language(content.lang.clone())
            .creator("Qyzmet".into()),
    );
    let mut pages = Pages::new(&mut doc);

    pages.block(&content.issuer, &REGULAR, 11.0, 0.0, GREY);
    pages.gap(10.0);
    pages.block(&content.title, &BOLD, 15.0, 0.0, BLACK);
    pages.gap(12.0);
    let label_w = content
        .fields
        .iter()
        .map(|(l, _)| BOLD.width(l, 10.0))
        .fold(0.0f32, f32::max)
        .min(TEXT_W * 0.4)
        + 10.0;
    for (label, value) in &content.fields {
        pages.field(label, value, label_w);
    }
    pages.gap(12.0);
    for p in &content.body {
        match p.strip_prefix("• ") {
            Some(item) => pages.item(item),
            None => pages.block(p, &REGULAR, 11.0, 0.0, BLACK),
        }
        pages.gap(6.0);
    }
    if !content.notes.is_empty() {
        pages.gap(8.0);
        for n in &content.notes {
            pages.block(n, &REGULAR, 8.0, 0.0, GREY);
            pages.gap(3.0);
        }
    }
    pages.gap(16.0);
    pages.qr(&qr, &content.verify_label, &content.verify_url);
    pages.finish();
    doc.finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
}

/// Grey levels of the text.
const BLACK: u8 = 0;
const GREY: u8 = 90;

fn fill(grey: u8) -> Fill {
    Fill {
        paint: rgb::Color::new(grey, grey, grey).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

/// Breaks `text` into lines no wider than `width` at `size`: at spaces, and
/// inside a word only when the word alone is too wide (a long address).
fn wrap(text: &str, face: &Face, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if face.width(&candidate, size) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut piece = String::new();
        for c in word.chars() {
            piece.push(c);
            if face.width(&piece, size) > width && piece.chars().count() > 1 {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(c);
            }
        }
        line = piece;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A cursor down the pages: starts a new page when the next line would not
/// fit.
struct Pages<'a> {
    doc: &'a mut Document,
    lines: Vec<Vec<Op>>,
    y: f32,
}

/// What is drawn on a page, collected first because a krilla page borrows
/// the document while open.
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        color: u8,
        text: String,
    },
    Qr {
        x: f32,
        y: f32,
        matrix: QrMatrix,
    },
}

impl<'a> Pages<'a> {
    fn new(doc: &'a mut Document) -> Self {
        Pages {
            doc,
            lines: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn need(&mut self, height: f32) {
        if self.y + height > PAGE_H - MARGIN {
            self.lines.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn gap(&mut self, h: f32) {
        self.y += h;
    }

    fn push(&mut self, op: Op) {
        self.lines.last_mut().expect("a page").push(op);
    }

    fn block(&mut self, text: &str, face: &'static Face, size: f32, indent: f32, color: u8) {
        let bold = std::ptr::eq(face, &*BOLD);
        for line in wrap(text, face, size, TEXT_W - indent) {
            let h = size * 1.35;
            self.need(h);
            self.y += h;
            self.push(Op::Text {
                x: MARGIN + indent,
                y: self.y,
                size,
                bold,
                color,
                text: line,
            });
        }
    }

    fn item(&mut self, text: &str) {
        let h = 11.0 * 1.35;
        self.need(h);
        self.push(Op::Text {
            x: MARGIN + 4.0,
            y: self.y + h,
            size: 11.0,
            bold: false,
            color: BLACK,
            text: "•".into(),
        });
        self.block(text, &REGULAR, 11.0, 16.0, BLACK);
    }

    fn field(&mut self, label: &str, value: &str, label_w: f32) {
        let size = 10.0;
        let h = size * 1.45;
        let labels = wrap(label, &BOLD, size, label_w - 10.0);
        let values = wrap(value, &REGULAR, size, TEXT_W - label_w);
        for i in 0..labels.len().max(values.len()) {
            self.need(h);
            self.y += h;
            if let Some(l) = labels.get(i) {
                self.push(Op::Text {
                    x: MARGIN,
                    y: self.y,
                    size,
                    bold: true,
                    color: GREY,
                    text: l.clone(),
                });
            }
            if let Some(v) = values.get(i) {
                self.push(Op::Text {
                    x: MARGIN + label_w,
                    y: self.y,
                    size,
                    bold: false,
                    color: BLACK,
                    text: v.clone(),
                });
            }
        }
    }

    fn qr(&mut self, matrix: &QrMatrix, label: &str, url: &str) {
        self.need(QR_SIZE);
        let top = self.y;
        self.push(Op::Qr {
            x: MARGIN,
            y: top,
            matrix: matrix.clone(),
        });
        let x = MARGIN + QR_SIZE + 12.0;
        let w = TEXT_W - QR_SIZE - 12.0;
        let mut y = top + 24.0;
        for (text, face, size, color) in
            [(label, &*REGULAR, 9.0, GREY), (url, &*REGULAR, 9.0, BLACK)]
        {
            for line in wrap(text, face, size, w) {
                self.push(Op::Text {
                    x,
                    y,
                    size,
                    bold: false,
                    color,
                    text: line,
                });
                y += size * 1.4;
            }
        }
        self.y = top + QR_SIZE;
    }

    fn finish(self) {
        for ops in self.lines {
            let mut page = self
                .doc
                .start_page_with(PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a size"));
            let mut surface = page.surface();
            for op in ops {
                draw(&mut surface, op);
            }
            surface.finish();
            page.finish();
        }
    }
}

fn draw(surface: &mut Surface<'_>, op: Op) {
    match op {
        Op::Text {
            x,
            y,
            size,
            bold,
            color,
            text,
        } => {
            surface.set_fill(Some(fill(color)));
            let face = if bold { &*BOLD } else { &*REGULAR };
            surface.draw_glyphs(
                Point::from_xy(x, y),
                &face.shape(&text),
                face.pdf.clone(),
                &text,
                size,
                false,
            );
        }
        Op::Qr { x, y, matrix } => {
            // A white square under the code keeps its quiet zone on any
            // background a viewer might use.
            surface.set_fill(Some(fill(255)));
            let mut pb = PathBuilder::new();
            if let Some(r) = Rect::from_xywh(x, y, QR_SIZE, QR_SIZE) {
                pb.push_rect(r);
            }
            if let Some(p) = pb.finish() {
                surface.draw_path(&p);
            }
            let (pixels, side) = matrix.rgba(QR_PIXELS_PER_MODULE);
            let image = Image::from_rgba8(pixels, side, side);
            surface.push_transform(&Transform::from_translate(x, y));
            surface.draw_image(image, Size::from_wh(QR_SIZE, QR_SIZE).expect("a size"));
            surface.pop();
        }
    }
}

/// Pixels per QR module in the embedded image: enough for a phone camera
/// and for a decoder reading the image back out of the PDF.
pub const QR_PIXELS_PER_MODULE: u32 = 4;
