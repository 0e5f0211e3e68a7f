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

use pdf_writer::types::ProcSet;
use pdf_writer::{Chunk, Content as Stream, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

mod font;
mod qr;
use font::{Face, FontUse};
pub use qr::{qr_matrix, QrMatrix};

static REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// The objects every PDF has at the same numbers (pages follow them).
const CATALOG: Ref = Ref::new(1);
const PAGE_TREE: Ref = Ref::new(2);
const INFO: Ref = Ref::new(3);
const QR_IMAGE: Ref = Ref::new(4);
const REGULAR_FIRST: i32 = 10;
const BOLD_FIRST: i32 = 20;
const FIRST_PAGE: i32 = 30;

static REGULAR: LazyLock<Face> = LazyLock::new(|| Face::load(REGULAR_TTF, REGULAR_FIRST));
static BOLD: LazyLock<Face> = LazyLock::new(|| Face::load(BOLD_TTF, BOLD_FIRST));

/// Whether the embedded font can draw every character of `text` (the caller
/// may check data from outside before rendering it).
pub fn font_covers(text: &str) -> bool {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .all(|c| REGULAR.glyph(c).is_some() && BOLD.glyph(c).is_some())
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
    render_counting(content).map(|(r, _)| r.pdf)
}

/// A rendered PDF, and the byte ranges of it that every document written
/// with the same fonts shares (a store may keep those once).
#[derive(Debug, Clone)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    /// In the order they appear; none overlap.
    pub shared: Vec<SharedPart>,
}

/// `bytes` lie in the PDF from offset `at`: the font objects of a fixed
/// subset, the same in every document this build renders with it.
#[derive(Debug, Clone, Copy)]
pub struct SharedPart {
    pub at: usize,
    pub bytes: &'static [u8],
    /// Of `bytes`, lowercase hex.
    pub sha256: &'static str,
}

/// As [`render`], with the ranges the PDF shares with others.
pub fn render_parts(content: &Content) -> Result<Rendered, DocumentError> {
    render_counting(content).map(|(r, _)| r)
}

/// As [`render_parts`]; also returns how many glyphs the document drew
/// beyond the fixed font subsets (zero for text in the alphabets they
/// cover).
fn render_counting(content: &Content) -> Result<(Rendered, usize), DocumentError> {
    // The title and the field labels are set in bold, the rest in regular.
    let bold = std::iter::once(&content.title).chain(content.fields.iter().map(|(l, _)| l));
    let regular = [&content.issuer, &content.verify_label, &content.verify_url]
        .into_iter()
        .chain(content.fields.iter().map(|(_, v)| v))
        .chain(&content.body)
        .chain(&content.notes);
    for (face, text) in bold
        .map(|t| (&*BOLD, t))
        .chain(regular.map(|t| (&*REGULAR, t)))
    {
        if let Some(c) = text
            .chars()
            .find(|c| !c.is_whitespace() && face.glyph(*c).is_none())
        {
            return Err(DocumentError::Glyph(c));
        }
    }
    let qr = qr_matrix(&content.verify_url)?;

    let mut pages = Pages::new();
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
    pages.qr(&content.verify_label, &content.verify_url);
    write_pdf(content, &pages.pages, &qr)
}

/// Grey levels of the text.
const BLACK: u8 = 0;
const GREY: u8 = 90;

/// Breaks `text` into lines no wider than `width` at `size`: at spaces, and
/// inside a word only when the word alone is too wide (a long address).
fn wrap(text: &str, face: &Face, size: f32, width: f32) -> Vec<String> {
    // Widths are sums of advances, so a line's is its words' and spaces'.
    let fits = |units: u32| units as f32 * size / face.units_per_em() <= width;
    let space = face.units(" ");
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_units = 0;
    for word in text.split_whitespace() {
        let word_units = face.units(word);
        let candidate = if line.is_empty() {
            word_units
        } else {
            line_units + space + word_units
        };
        if fits(candidate) {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
            line_units = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut piece = String::new();
        let mut piece_units = 0;
        for c in word.chars() {
            let mut buf = [0; 4];
            let units = face.units(c.encode_utf8(&mut buf));
            piece.push(c);
            piece_units += units;
            if !fits(piece_units) && piece.chars().count() > 1 {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(c);
                piece_units = units;
            }
        }
        line = piece;
        line_units = piece_units;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A cursor down the pages: starts a new page when the next line would not
/// fit.
struct Pages {
    pages: Vec<Vec<Op>>,
    y: f32,
}

/// What is drawn on a page, `y` from the top of the page.
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
    },
}

impl Pages {
    fn new() -> Self {
        Pages {
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn need(&mut self, height: f32) {
        if self.y + height > PAGE_H - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn gap(&mut self, h: f32) {
        self.y += h;
    }

    fn push(&mut self, op: Op) {
        self.pages.last_mut().expect("a page").push(op);
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

    fn qr(&mut self, label: &str, url: &str) {
        self.need(QR_SIZE);
        let top = self.y;
        self.push(Op::Qr { x: MARGIN, y: top });
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
}

/// Font resource names on every page.
const REGULAR_NAME: Name = Name(b"F0");
const BOLD_NAME: Name = Name(b"F1");
const QR_NAME: Name = Name(b"Qr");

/// Writes the laid-out pages as a PDF: the catalog, the page tree, the
/// metadata, each page with its content stream, the QR code's image and the
/// two fonts.
fn write_pdf(
    content: &Content,
    pages: &[Vec<Op>],
    qr: &QrMatrix,
) -> Result<(Rendered, usize), DocumentError> {
    let mut pdf = Pdf::with_capacity(48 * 1024);
    let page_refs: Vec<(Ref, Ref)> = (0..pages.len() as i32)
        .map(|i| {
            (
                Ref::new(FIRST_PAGE + 2 * i),
                Ref::new(FIRST_PAGE + 2 * i + 1),
            )
        })
        .collect();

    let mut catalog = pdf.catalog(CATALOG);
    catalog
        .pages(PAGE_TREE)
        .lang(TextStr(&content.lang))
        .viewer_preferences()
        .display_doc_title(true);
    catalog.finish();
    pdf.document_info(INFO)
        .title(TextStr(&content.title))
        .creator(TextStr("Qyzmet"))
        .producer(TextStr("Qyzmet"));
    pdf.pages(PAGE_TREE)
        .kids(page_refs.iter().map(|(p, _)| *p))
        .count(pages.len() as i32);

    let mut regular = FontUse::new(&REGULAR);
    let mut bold = FontUse::new(&BOLD);
    let mut has_qr = false;
    for (ops, (page_ref, content_ref)) in pages.iter().zip(&page_refs) {
        let mut stream = Stream::new();
        let mut page_qr = false;
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold: is_bold,
                    color,
                    text,
                } => {
                    let (font, name) = if *is_bold {
                        (&mut bold, BOLD_NAME)
                    } else {
                        (&mut regular, REGULAR_NAME)
                    };
                    draw_text(&mut stream, font, name, *size, *color, *x, *y, text);
                }
                Op::Qr { x, y } => {
                    // The image carries the quiet zone, white, and is
                    // scaled up without smoothing so the modules stay sharp.
                    stream
                        .save_state()
                        .transform([QR_SIZE, 0.0, 0.0, QR_SIZE, *x, PAGE_H - y - QR_SIZE])
                        .x_object(QR_NAME)
                        .restore_state();
                    page_qr = true;
                }
            }
        }
        has_qr |= page_qr;
        let data = font::deflate(&stream.finish(), 1);
        pdf.stream(*content_ref, &data).filter(Filter::FlateDecode);

        let mut page = pdf.page(*page_ref);
        page.parent(PAGE_TREE)
            .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .contents(*content_ref);
        let mut resources = page.resources();
        resources.proc_sets([ProcSet::Pdf, ProcSet::Text, ProcSet::ImageGrayscale]);
        resources
            .fonts()
            .pair(REGULAR_NAME, REGULAR.type0_ref())
            .pair(BOLD_NAME, BOLD.type0_ref());
        if page_qr {
            resources.x_objects().pair(QR_NAME, QR_IMAGE);
        }
        resources.finish();
        page.finish();
    }

    if has_qr {
        let (bits, side) = qr.bits();
        let mut image = pdf.image_xobject(QR_IMAGE, &bits);
        image
            .width(side as i32)
            .height(side as i32)
            .bits_per_component(1)
            .interpolate(false);
        image.color_space().device_gray();
        image.finish();
    }

    // The fonts go in last before the cross-reference table, copied as
    // they are: their offsets in the PDF are known.
    let base = pdf.len();
    let mut fonts = Chunk::new();
    let mut shared = Vec::new();
    for font in [&regular, &bold] {
        let at = base + fonts.len();
        font.write(&mut fonts).map_err(DocumentError::Pdf)?;
        if let Some((bytes, sha256)) = font.fixed_part() {
            shared.push(SharedPart { at, bytes, sha256 });
        }
    }
    pdf.extend(&fonts);
    let extra = regular.extra_glyphs() + bold.extra_glyphs();
    let pdf = pdf.finish();
    debug_assert!(shared
        .iter()
        .all(|p| pdf.get(p.at..p.at + p.bytes.len()) == Some(p.bytes)));
    Ok((Rendered { pdf, shared }, extra))
}

/// Draws one line of `text` with its baseline at (`x`, `y` from the top):
/// shaped, each glyph at its shaped position (kerning as adjustments in the
/// `TJ` array), and a cluster whose glyphs do not spell its text (a
/// ligature, a glyph for two characters) marked with its actual text so it
/// still extracts as written.
#[allow(clippy::too_many_arguments)]
fn draw_text(
    stream: &mut Stream,
    font: &mut FontUse<'_>,
    name: Name<'_>,
    size: f32,
    color: u8,
    x: f32,
    y: f32,
    text: &str,
) {
    let face = font.face;
    let glyphs = face.shape(text);
    let to_pt = size / face.units_per_em();
    let to_thousandths = 1000.0 / face.units_per_em();
    let baseline = PAGE_H - y;

    stream.begin_text();
    stream.set_font(name, size);
    stream.set_fill_gray(f32::from(color) / 255.0);
    stream.set_text_matrix([1.0, 0.0, 0.0, 1.0, x, baseline]);

    // The current run of a `TJ` array: CIDs (two bytes each) and adjustments.
    enum Item {
        Cids(Vec<u8>),
        Adjust(f32),
    }
    let mut run: Vec<Item> = Vec::new();
    let flush = |stream: &mut Stream, run: &mut Vec<Item>| {
        if run.is_empty() {
            return;
        }
        let mut show = stream.show_positioned();
        let mut items = show.items();
        for item in run.drain(..) {
            match item {
                Item::Cids(bytes) => {
                    items.show(Str(&bytes));
                }
                Item::Adjust(a) => {
                    items.adjust(a);
                }
            }
        }
    };
    let push_cid = |run: &mut Vec<Item>, cid: u16| match run.last_mut() {
        Some(Item::Cids(bytes)) => bytes.extend(cid.to_be_bytes()),
        _ => run.push(Item::Cids(cid.to_be_bytes().to_vec())),
    };

    let mut pen = x;
    let mut i = 0;
    while i < glyphs.len() {
        let cluster = glyphs[i].cluster.clone();
        let n = glyphs[i..]
            .iter()
            .take_while(|g| g.cluster == cluster)
            .count();
        let cluster_text = text.get(cluster.clone()).unwrap_or("");
        let spelled = n == 1 && font.cid(glyphs[i].id, cluster_text).1 == cluster_text;
        if !spelled {
            flush(stream, &mut run);
            stream
                .begin_marked_content_with_properties(Name(b"Span"))
                .properties()
                .actual_text(TextStr(cluster_text));
        }
        for g in &glyphs[i..i + n] {
            let (cid, _) = font.cid(g.id, cluster_text);
            let offset = g.x_offset != 0 || g.y_offset != 0;
            if offset {
                flush(stream, &mut run);
                stream.set_text_matrix([
                    1.0,
                    0.0,
                    0.0,
                    1.0,
                    pen + g.x_offset as f32 * to_pt,
                    baseline + g.y_offset as f32 * to_pt,
                ]);
            }
            push_cid(&mut run, cid);
            let width = face.advance(g.id);
            if g.advance != width {
                run.push(Item::Adjust((width - g.advance) as f32 * to_thousandths));
            }
            pen += g.advance as f32 * to_pt;
            if offset {
                flush(stream, &mut run);
                stream.set_text_matrix([1.0, 0.0, 0.0, 1.0, pen, baseline]);
            }
        }
        if !spelled {
            flush(stream, &mut run);
            stream.end_marked_content();
        }
        i += n;
    }
    flush(stream, &mut run);
    stream.end_text();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(body: &str) -> Content {
        Content {
            lang: "kk".into(),
            issuer: "Қарағанды қаласының білім бөлімі — «Әкімдік» №5".into(),
            title: "Шешім: Ёлка, Ғабит, Үміт, Һ, Іс, Қ, Ң, Ө, Ұ".into(),
            fields: vec![("Сомасы".into(), "324 375 ₸ (75 АЕК × 4 325 ₸)".into())],
            body: vec![body.into()],
            notes: vec!["Приказ № 198 от 13.04.2015 г., п. 1–3; François, Zürich".into()],
            verify_url: "https://qyzmet.example.kz/verify/0123456789abcdef0123".into(),
            verify_label: "Тексеру:".into(),
        }
    }

    #[test]
    fn a_kept_compressor_deflates_each_stream_whole() {
        use std::io::Read;
        // Streams of every size in turn, at both levels, through the kept
        // compressors: each inflates back to exactly its own bytes (a
        // compressor not reset would carry the last stream's state).
        let big: Vec<u8> = (0..300_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for round in 0..3 {
            for (n, level) in [(0, 1), (17, 9), (4096, 1), (big.len(), 9), (70_000, 1)] {
                let data = &big[round..round + n.min(big.len() - round)];
                let packed = font::deflate(data, level);
                let mut back = Vec::new();
                flate2::read::ZlibDecoder::new(packed.as_slice())
                    .read_to_end(&mut back)
                    .unwrap();
                assert_eq!(back, data, "round {round}, {n} bytes, level {level}");
            }
        }
    }

    #[test]
    fn a_line_shaped_again_comes_from_the_cache_as_shaped_first() {
        let face = Face::load(REGULAR_TTF, REGULAR_FIRST);
        let text = "Өтініш қанағаттандырылды: office affirms, № 7.";
        assert!(face.cached(text).is_none());
        let first = face.shape(text);
        assert_eq!(face.cached(text).as_ref(), Some(&first));
        assert_eq!(face.shape(text), first);
        // A second render of one content is byte for byte the first.
        let c = content(text);
        assert_eq!(render(&c).unwrap(), render(&c).unwrap());
    }

    #[test]
    fn the_shape_cache_starts_again_when_full() {
        let face = Face::load(REGULAR_TTF, REGULAR_FIRST);
        let kept = face.shape("kept");
        let line = "x".repeat(1000);
        for i in 0..(font::SHAPE_CACHE_TEXT / 1000 + 2) {
            face.shape(&format!("{i} {line}"));
        }
        assert!(face.cached("kept").is_none());
        assert_eq!(face.shape("kept"), kept);
        assert_eq!(face.cached("kept"), Some(kept));
    }

    #[test]
    fn kazakh_russian_and_latin_text_uses_only_the_fixed_subsets() {
        let (_, extra) = render_counting(&content(
            "Өтініш қанағаттандырылды. Заявление удовлетворено.",
        ))
        .unwrap();
        assert_eq!(extra, 0);
    }

    #[test]
    fn latin_ligatures_are_in_the_fixed_subsets() {
        // The shaper joins these into ligature glyphs, which no character
        // maps to; they must not cost a document a subset of its own.
        let (r, extra) = render_counting(&content(
            "The office staff affirm the refusal; fluffy waffles, baffled.",
        ))
        .unwrap();
        assert_eq!(extra, 0);
        assert!(r.pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn a_glyph_beyond_the_fixed_subset_gets_a_subset_of_its_own() {
        let (r, extra) = render_counting(&content("Ελληνικά: αβγ")).unwrap();
        assert!(extra > 0);
        assert!(r.pdf.starts_with(b"%PDF-"));
        // Its regular face is its own; the bold one (the title is Cyrillic)
        // is still the shared one.
        assert_eq!(r.shared.len(), 1);
        assert_eq!(r.shared[0].bytes, BOLD.fixed_part_bytes());
    }

    #[test]
    fn the_fixed_font_objects_lie_in_the_pdf_where_it_says() {
        let a = render_parts(&content("Өтініш қанағаттандырылды.")).unwrap();
        let b = render_parts(&content("Заявление удовлетворено, № 2.")).unwrap();
        assert_eq!(a.shared.len(), 2);
        for r in [&a, &b] {
            let mut end = 0;
            for p in &r.shared {
                assert!(p.at >= end, "in order, not overlapping");
                assert_eq!(&r.pdf[p.at..p.at + p.bytes.len()], p.bytes);
                assert_eq!(p.sha256.len(), 64);
                end = p.at + p.bytes.len();
            }
        }
        // The same bytes in both, most of each PDF.
        assert_eq!(a.shared[0].bytes, b.shared[0].bytes);
        assert_eq!(a.shared[1].sha256, b.shared[1].sha256);
        let shared: usize = a.shared.iter().map(|p| p.bytes.len()).sum();
        assert!(shared * 2 > a.pdf.len(), "{shared} of {}", a.pdf.len());
    }
}
