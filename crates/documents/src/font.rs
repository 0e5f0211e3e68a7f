//! The embedded fonts: each face parsed once, and a fixed subset of it — the
//! glyphs of the letters, digits and signs Qyzmet's documents are written
//! in — built, deflated and written as PDF font objects once per process.
//! A render then only shapes its lines and copies those bytes. A glyph
//! outside the fixed set (text in another script, a ligature) is still
//! drawn: that document gets its own subset, the fixed glyphs under the
//! same CIDs and the others after them, built for it alone.

use std::sync::{Arc, Mutex};

use rustybuzz::{script, Direction, Script, ShapePlan};

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Chunk, Filter, Finish, Name, Rect, Ref, Str};
use subsetter::GlyphRemapper;

/// A face: its metrics for line breaking, its shaper, and its fixed subset.
pub(crate) struct Face {
    ttf: &'static [u8],
    pub(crate) metrics: ttf_parser::Face<'static>,
    shaper: rustybuzz::Face<'static>,
    /// Shape plans by direction and script, compiled on first use:
    /// `rustybuzz::shape` would compile one for every line.
    plans: Mutex<Vec<(Direction, Script, Arc<ShapePlan>)>>,
    /// Lines shaped before, by their text: a document's labels and headings
    /// are the same in every copy, and shaping is most of a render's work.
    shaped: Mutex<ShapeCache>,
    upem: f32,
    /// Glyph id and advance of the characters below U+0500 (Latin and
    /// Cyrillic), looked up once: line breaking asks for every character.
    low: Vec<Option<(u16, u16)>>,
    /// The objects of this face in every PDF: Type0 font, CID font, font
    /// descriptor, ToUnicode CMap, font program.
    refs: [Ref; 5],
    /// Glyph id → CID in the fixed subset.
    fixed: GlyphRemapper,
    /// What each CID of the fixed subset stands for, in the ToUnicode CMap.
    fixed_text: Vec<String>,
    /// The font objects of the fixed subset, ready to copy into a PDF.
    fixed_chunk: Chunk,
    /// Their SHA-256, lowercase hex.
    fixed_sha256: String,
}

/// The characters every document may use without a subset of its own:
/// Basic Latin, Latin-1, the Russian and Kazakh Cyrillic alphabets (and the
/// rest of the basic Cyrillic block), and the signs of dates, amounts and
/// citations.
fn fixed_chars() -> impl Iterator<Item = char> {
    let ranges = [
        ('\u{20}', '\u{7e}'),   // Basic Latin
        ('\u{a0}', '\u{ff}'),   // Latin-1: « » § ° × é ü …
        ('\u{400}', '\u{45f}'), // Cyrillic: Russian, Ёё, Іі and the other basic letters
    ];
    let kazakh = "ӘәҒғҚқҢңӨөҰұҮүҺһ";
    let signs = "–—‘’‚“”„•…‰′″‹›€№™₸−≤≥≠≈→←";
    ranges
        .into_iter()
        .flat_map(|(a, b)| a..=b)
        .chain(kazakh.chars())
        .chain(signs.chars())
}

/// Shaped lines by their text, bounded: when it is full it starts again
/// empty (the lines documents share come back at once; names and numbers,
/// each in one document, go). Its storage is reserved once, at its full
/// size, and reused: entries allocated one by one, long-lived among a
/// render's short-lived buffers, pinned the allocator's heap and grew the
/// server's memory by hundreds of MiB.
#[derive(Default)]
struct ShapeCache {
    /// Entry by the hash of its text.
    index: std::collections::HashMap<u64, usize>,
    hasher: std::hash::RandomState,
    entries: Vec<ShapedLine>,
    /// The entries' texts, one after another.
    text: String,
    /// The entries' glyphs, one after another.
    glyphs: Vec<Glyph>,
}

/// A line in the [`ShapeCache`]: where its text and its glyphs lie.
struct ShapedLine {
    text: std::ops::Range<usize>,
    glyphs: std::ops::Range<usize>,
}

/// What a face's shape cache holds at most: bytes of text, glyphs and
/// lines (together a few MiB).
pub(crate) const SHAPE_CACHE_TEXT: usize = 256 * 1024;
const SHAPE_CACHE_GLYPHS: usize = 64 * 1024;
const SHAPE_CACHE_LINES: usize = 8 * 1024;

impl ShapeCache {
    fn get(&self, text: &str) -> Option<Vec<Glyph>> {
        use std::hash::BuildHasher;
        let line = &self.entries[*self.index.get(&self.hasher.hash_one(text))?];
        (self.text[line.text.clone()] == *text).then(|| self.glyphs[line.glyphs.clone()].to_vec())
    }

    fn put(&mut self, text: &str, glyphs: &[Glyph]) {
        use std::hash::BuildHasher;
        if self.entries.capacity() == 0 {
            self.index.reserve(SHAPE_CACHE_LINES);
            self.entries.reserve_exact(SHAPE_CACHE_LINES);
            self.text.reserve_exact(SHAPE_CACHE_TEXT);
            self.glyphs.reserve_exact(SHAPE_CACHE_GLYPHS);
        }
        if text.len() > SHAPE_CACHE_TEXT || glyphs.len() > SHAPE_CACHE_GLYPHS {
            return;
        }
        if self.entries.len() == SHAPE_CACHE_LINES
            || self.text.len() + text.len() > SHAPE_CACHE_TEXT
            || self.glyphs.len() + glyphs.len() > SHAPE_CACHE_GLYPHS
        {
            self.index.clear();
            self.entries.clear();
            self.text.clear();
            self.glyphs.clear();
        }
        let hash = self.hasher.hash_one(text);
        if self.index.contains_key(&hash) {
            // Shaped meanwhile by another render, or (rarely) another text
            // with the same hash: that one stays.
            return;
        }
        let at = (self.text.len(), self.glyphs.len());
        self.text.push_str(text);
        self.glyphs.extend_from_slice(glyphs);
        self.entries.push(ShapedLine {
            text: at.0..self.text.len(),
            glyphs: at.1..self.glyphs.len(),
        });
        // Indexed last: an entry is found only once it is whole.
        self.index.insert(hash, self.entries.len() - 1);
    }
}

/// Characters below this are looked up once per face.
const LOW: u32 = 0x500;

/// A glyph as shaped: its id, advance and offsets in font units, and the
/// byte range of its cluster in the text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Glyph {
    pub(crate) id: u16,
    pub(crate) advance: i32,
    pub(crate) x_offset: i32,
    pub(crate) y_offset: i32,
    pub(crate) cluster: std::ops::Range<usize>,
}

impl Face {
    pub(crate) fn load(ttf: &'static [u8], first_ref: i32) -> Face {
        let metrics = ttf_parser::Face::parse(ttf, 0).expect("the embedded font parses");
        let shaper = rustybuzz::Face::from_slice(ttf, 0).expect("the embedded font shapes");
        let upem = f32::from(metrics.units_per_em());
        let refs = std::array::from_fn(|i| Ref::new(first_ref + i as i32));
        let low = (0..LOW)
            .map(|c| {
                let g = metrics.glyph_index(char::from_u32(c)?)?;
                Some((g.0, metrics.glyph_hor_advance(g).unwrap_or(0)))
            })
            .collect();
        let mut fixed = GlyphRemapper::new();
        // CID 0 is .notdef, as in every subset.
        fixed.remap(0);
        let mut fixed_text = vec![String::new()];
        for c in fixed_chars() {
            let Some(g) = metrics.glyph_index(c) else {
                continue;
            };
            if fixed.get(g.0).is_none() {
                fixed.remap(g.0);
                fixed_text.push(c.to_string());
            }
        }
        let mut face = Face {
            ttf,
            metrics,
            shaper,
            plans: Mutex::new(Vec::new()),
            shaped: Mutex::new(ShapeCache::default()),
            upem,
            low,
            refs,
            fixed,
            fixed_text,
            fixed_chunk: Chunk::new(),
            fixed_sha256: String::new(),
        };
        // Ligatures the shaper makes of Latin letters (`ff` in an English
        // word) are glyphs no character maps to: they belong to the fixed
        // subset too, standing for the letters they join.
        for ligature in ["ff", "fi", "fl", "ffi", "ffl"] {
            if let [g] = face.shape_now(ligature).as_slice() {
                if face.fixed.get(g.id).is_none() {
                    face.fixed.remap(g.id);
                    face.fixed_text.push(ligature.to_owned());
                }
            }
        }
        face.fixed_chunk = face
            .font_objects(&face.fixed, &face.fixed_text)
            .expect("the fixed subset of the embedded font builds");
        face.fixed_sha256 = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(face.fixed_chunk.as_bytes()))
        };
        face
    }

    /// The fixed subset's font objects as every PDF copies them.
    #[cfg(test)]
    pub(crate) fn fixed_part_bytes(&self) -> &[u8] {
        self.fixed_chunk.as_bytes()
    }

    pub(crate) fn type0_ref(&self) -> Ref {
        self.refs[0]
    }

    pub(crate) fn units_per_em(&self) -> f32 {
        self.upem
    }

    /// The shape plan for `buffer`'s direction and script, as
    /// `rustybuzz::shape` would compile it (no language, no features).
    fn plan(&self, buffer: &rustybuzz::UnicodeBuffer) -> Arc<ShapePlan> {
        let (direction, script) = (buffer.direction(), buffer.script());
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, _, plan)) = plans
            .iter()
            .find(|(d, s, _)| *d == direction && *s == script)
        {
            return plan.clone();
        }
        // A buffer whose script was not guessed has none (`UNKNOWN` is how
        // `script()` reports that).
        let guessed = (script != script::UNKNOWN).then_some(script);
        let plan = Arc::new(ShapePlan::new(&self.shaper, direction, guessed, None, &[]));
        plans.push((direction, script, plan.clone()));
        plan
    }

    /// The glyphs of `text` as rustybuzz shapes them (default features,
    /// direction guessed from the text); a line shaped before is taken from
    /// the cache (shaping depends on nothing but the face and the text).
    pub(crate) fn shape(&self, text: &str) -> Vec<Glyph> {
        let lock = || self.shaped.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(glyphs) = lock().get(text) {
            return glyphs;
        }
        let glyphs = self.shape_now(text);
        lock().put(text, &glyphs);
        glyphs
    }

    /// What the shape cache holds for `text`.
    #[cfg(test)]
    pub(crate) fn cached(&self, text: &str) -> Option<Vec<Glyph>> {
        self.shaped.lock().unwrap().get(text)
    }

    fn shape_now(&self, text: &str) -> Vec<Glyph> {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let forward = matches!(
            buffer.direction(),
            rustybuzz::Direction::LeftToRight | rustybuzz::Direction::TopToBottom
        );
        let output = rustybuzz::shape_with_plan(&self.shaper, &self.plan(&buffer), buffer);
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
            glyphs.push(Glyph {
                id: u16::try_from(info.glyph_id).unwrap_or(0),
                advance: pos.x_advance,
                x_offset: pos.x_offset,
                y_offset: pos.y_offset,
                cluster: info.cluster as usize..end.max(info.cluster as usize),
            });
        }
        glyphs
    }

    /// The advance of glyph `id` in font units, as the PDF's widths give it.
    pub(crate) fn advance(&self, id: u16) -> i32 {
        self.metrics
            .glyph_hor_advance(ttf_parser::GlyphId(id))
            .map_or(0, i32::from)
    }

    /// The width of `text` at `size` points, from the advances of its glyphs
    /// (no kerning: DejaVu's is slight, and a line then errs on the short side
    /// by at most a point or two).
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        self.units(text) as f32 * size / self.upem
    }

    /// The sum of the advances of `text`'s characters, in font units.
    pub(crate) fn units(&self, text: &str) -> u32 {
        text.chars()
            .map(|c| self.glyph(c).map_or(0, |(_, a)| u32::from(a)))
            .sum()
    }

    /// The glyph of `c` in the font's character map, and its advance.
    pub(crate) fn glyph(&self, c: char) -> Option<(u16, u16)> {
        match self.low.get(c as usize) {
            Some(known) => *known,
            None => {
                let g = self.metrics.glyph_index(c)?;
                Some((g.0, self.metrics.glyph_hor_advance(g).unwrap_or(0)))
            }
        }
    }

    /// Writes the PDF objects of the subset with the glyphs `remapper` maps
    /// (glyph id → CID), `text[cid]` standing for CID `cid`.
    fn font_objects(&self, remapper: &GlyphRemapper, text: &[String]) -> Result<Chunk, String> {
        let program =
            subsetter::subset(self.ttf, 0, remapper).map_err(|e| format!("subset: {e}"))?;
        let program = unhinted(&program)?;
        let to_pdf = |v: f32| v * 1000.0 / self.upem;
        let m = &self.metrics;
        let mut chunk = Chunk::new();
        let [type0, cid, descriptor, cmap_ref, data] = self.refs;

        let glyphs: Vec<u16> = remapper.remapped_gids().collect();
        let name = format!(
            "{}+{}",
            subset_tag(&glyphs),
            postscript_name(m).unwrap_or_else(|| "DejaVuSans".into())
        );

        chunk
            .type0_font(type0)
            .base_font(Name(name.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap_ref);

        let mut font = chunk.cid_font(cid);
        font.subtype(CidFontType::Type2)
            .base_font(Name(name.as_bytes()))
            .system_info(SYSTEM_INFO)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        font.widths()
            .consecutive(0, glyphs.iter().map(|&g| to_pdf(self.advance(g) as f32)));
        font.finish();

        let bbox = m.global_bounding_box();
        let ascent = to_pdf(f32::from(m.ascender()));
        let mut flags = FontFlags::SYMBOLIC;
        flags.set(FontFlags::ITALIC, m.is_italic());
        flags.set(FontFlags::FIXED_PITCH, m.is_monospaced());
        chunk
            .font_descriptor(descriptor)
            .name(Name(name.as_bytes()))
            .flags(flags)
            .bbox(Rect::new(
                to_pdf(f32::from(bbox.x_min)),
                to_pdf(f32::from(bbox.y_min)),
                to_pdf(f32::from(bbox.x_max)),
                to_pdf(f32::from(bbox.y_max)),
            ))
            .italic_angle(m.italic_angle())
            .ascent(ascent)
            .descent(to_pdf(f32::from(m.descender())))
            .cap_height(m.capital_height().map_or(ascent, |h| to_pdf(f32::from(h))))
            .stem_v(10.0 + 0.244 * (f32::from(m.weight().to_number()) - 50.0))
            .font_file2(data);

        let mut cmap = UnicodeCmap::<u16>::new(Name(b"Custom"), SYSTEM_INFO);
        for (cid, t) in text.iter().enumerate().skip(1) {
            if !t.is_empty() {
                cmap.pair_with_multiple(cid as u16, t.chars());
            }
        }
        let cmap = deflate(&cmap.finish(), 9);
        chunk.cmap(cmap_ref, &cmap).filter(Filter::FlateDecode);

        let packed = deflate(&program, 9);
        chunk
            .stream(data, &packed)
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), program.len() as i32);
        Ok(chunk)
    }
}

const SYSTEM_INFO: SystemInfo = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

fn postscript_name(m: &ttf_parser::Face<'_>) -> Option<String> {
    m.names()
        .into_iter()
        .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .find_map(|n| n.to_string())
        .map(|s| {
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect()
        })
}

/// Six capital letters naming a subset (PDF 32000-1, 9.6.4), from a stable
/// hash (FNV-1a) of its glyphs, so the same glyphs give the same name.
fn subset_tag(glyphs: &[u16]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for g in glyphs {
        for b in g.to_be_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|_| {
            let c = char::from(b'A' + (h % 26) as u8);
            h /= 26;
            c
        })
        .collect()
}

/// Compressors kept for the next stream, by level: making one allocates a
/// few hundred KiB of tables for each stream, so they are reset and used
/// again. At most [`KEPT_COMPRESSORS`] a level stay.
static COMPRESSORS: Mutex<Vec<(u32, Vec<flate2::Compress>)>> = Mutex::new(Vec::new());

const KEPT_COMPRESSORS: usize = 4;

/// zlib-deflates `data` at `level` (1 fast … 9 small).
pub(crate) fn deflate(data: &[u8], level: u32) -> Vec<u8> {
    let kept = {
        let mut pool = COMPRESSORS.lock().unwrap_or_else(|e| e.into_inner());
        pool.iter_mut()
            .find(|(l, _)| *l == level)
            .and_then(|(_, kept)| kept.pop())
    };
    let mut c = match kept {
        Some(mut c) => {
            c.reset();
            c
        }
        None => flate2::Compress::new(flate2::Compression::new(level), true),
    };
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    let mut rest = data;
    loop {
        let before = c.total_in();
        let status = c
            .compress_vec(rest, &mut out, flate2::FlushCompress::Finish)
            .expect("deflating into memory");
        rest = &rest[(c.total_in() - before) as usize..];
        if status == flate2::Status::StreamEnd {
            break;
        }
        out.reserve(out.capacity().max(64));
    }
    let mut pool = COMPRESSORS.lock().unwrap_or_else(|e| e.into_inner());
    match pool.iter_mut().find(|(l, _)| *l == level) {
        Some((_, kept)) if kept.len() < KEPT_COMPRESSORS => kept.push(c),
        Some(_) => {}
        None => pool.push((level, vec![c])),
    }
    out
}

/// The glyphs one document draws in one face: CIDs of the fixed subset, and
/// those it needs beyond it.
pub(crate) struct FontUse<'f> {
    pub(crate) face: &'f Face,
    /// Glyphs outside the fixed subset, in order of first use, and the text
    /// each stands for; glyph `extra[i]` has CID `fixed.num_gids() + i`.
    extra: Vec<(u16, String)>,
}

impl<'f> FontUse<'f> {
    pub(crate) fn new(face: &'f Face) -> Self {
        FontUse {
            face,
            extra: Vec::new(),
        }
    }

    /// The CID of glyph `id`, first drawn for `text`; and the text its CID
    /// stands for in the ToUnicode CMap.
    pub(crate) fn cid(&mut self, id: u16, text: &str) -> (u16, &str) {
        if let Some(cid) = self.face.fixed.get(id) {
            return (cid, &self.face.fixed_text[usize::from(cid)]);
        }
        let i = match self.extra.iter().position(|(g, _)| *g == id) {
            Some(i) => i,
            None => {
                self.extra.push((id, text.to_owned()));
                self.extra.len() - 1
            }
        };
        (
            self.face.fixed.num_gids() + i as u16,
            self.extra[i].1.as_str(),
        )
    }

    /// The fixed subset's font objects and their SHA-256, when this
    /// document writes them as they are (it drew no glyph beyond them).
    pub(crate) fn fixed_part(&self) -> Option<(&'f [u8], &'f str)> {
        self.extra.is_empty().then(|| {
            (
                self.face.fixed_chunk.as_bytes(),
                self.face.fixed_sha256.as_str(),
            )
        })
    }

    /// How many glyphs this document needs beyond the fixed subset.
    pub(crate) fn extra_glyphs(&self) -> usize {
        self.extra.len()
    }

    /// Adds this face's font objects to `pdf`: the cached fixed subset, or a
    /// subset of this document's own when it drew glyphs beyond it.
    pub(crate) fn write(&self, pdf: &mut Chunk) -> Result<(), String> {
        if self.extra.is_empty() {
            pdf.extend(&self.face.fixed_chunk);
            return Ok(());
        }
        let mut remapper = self.face.fixed.clone();
        let mut text = self.face.fixed_text.clone();
        for (g, t) in &self.extra {
            remapper.remap(*g);
            text.push(t.clone());
        }
        pdf.extend(&self.face.font_objects(&remapper, &text)?);
        Ok(())
    }
}

/// The font program as embedded: the subset without its TrueType hinting
/// (each glyph's instructions and the `cvt `, `fpgm`, `prep` tables) and
/// without glyph names (`post` version 3). DejaVu's hints are half of its
/// outlines' bytes; PDF viewers rasterise without them (or hint
/// automatically), and the PDF stays about as small as with per-document
/// subsets.
fn unhinted(font: &[u8]) -> Result<Vec<u8>, String> {
    let bad = || "the font subset is malformed".to_string();
    let u16_at = |b: &[u8], i: usize| -> Result<u16, String> {
        b.get(i..i + 2)
            .map(|s| u16::from_be_bytes([s[0], s[1]]))
            .ok_or_else(bad)
    };
    let u32_at = |b: &[u8], i: usize| -> Result<u32, String> {
        b.get(i..i + 4)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
            .ok_or_else(bad)
    };
    let count = usize::from(u16_at(font, 4)?);
    let mut tables: Vec<([u8; 4], Vec<u8>)> = Vec::with_capacity(count);
    for i in 0..count {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = font
            .get(rec..rec + 4)
            .ok_or_else(bad)?
            .try_into()
            .map_err(|_| bad())?;
        let (off, len) = (
            u32_at(font, rec + 8)? as usize,
            u32_at(font, rec + 12)? as usize,
        );
        let data = font.get(off..off + len).ok_or_else(bad)?;
        tables.push((tag, data.to_vec()));
    }
    let table = |tag: &[u8; 4]| {
        tables
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, d)| d.as_slice())
            .ok_or_else(bad)
    };
    let head = table(b"head")?;
    let long_loca = u16_at(head, 50)? != 0;
    let glyphs = usize::from(u16_at(table(b"maxp")?, 4)?);
    let (loca, glyf) = (table(b"loca")?, table(b"glyf")?);
    let offset = |i: usize| -> Result<usize, String> {
        Ok(if long_loca {
            u32_at(loca, 4 * i)? as usize
        } else {
            2 * usize::from(u16_at(loca, 2 * i)?)
        })
    };

    let mut new_glyf = Vec::with_capacity(glyf.len() / 2);
    let mut new_loca = Vec::with_capacity(4 * (glyphs + 1));
    for i in 0..glyphs {
        new_loca.extend((new_glyf.len() as u32).to_be_bytes());
        let g = glyf.get(offset(i)?..offset(i + 1)?).ok_or_else(bad)?;
        if g.is_empty() {
            continue;
        }
        let contours = u16_at(g, 0)? as i16;
        if contours >= 0 {
            // Header, end points, then the instructions' length and bytes.
            let at = 10 + 2 * contours as usize;
            let len = usize::from(u16_at(g, at)?);
            new_glyf.extend_from_slice(&g[..at]);
            new_glyf.extend([0, 0]);
            new_glyf.extend_from_slice(g.get(at + 2 + len..).ok_or_else(bad)?);
        } else {
            // Components; instructions, if any, follow the last.
            let mut at = 10;
            new_glyf.extend_from_slice(&g[..10]);
            loop {
                let flags = u16_at(g, at)?;
                let mut len = 4 + if flags & 0x0001 != 0 { 4 } else { 2 };
                // A scale, an x and y scale, or a 2×2 matrix.
                len += if flags & 0x0008 != 0 {
                    2
                } else if flags & 0x0040 != 0 {
                    4
                } else if flags & 0x0080 != 0 {
                    8
                } else {
                    0
                };
                let part = g.get(at..at + len).ok_or_else(bad)?;
                let here = new_glyf.len();
                new_glyf.extend_from_slice(part);
                // Clear WE_HAVE_INSTRUCTIONS.
                new_glyf[here] &= !0x01;
                at += len;
                if flags & 0x0020 == 0 {
                    break;
                }
            }
        }
        while new_glyf.len() % 4 != 0 {
            new_glyf.push(0);
        }
    }
    new_loca.extend((new_glyf.len() as u32).to_be_bytes());

    let mut out_tables: Vec<([u8; 4], Vec<u8>)> = Vec::new();
    for (tag, data) in &tables {
        let data = match tag {
            b"cvt " | b"fpgm" | b"prep" => continue,
            b"glyf" => new_glyf.clone(),
            b"loca" => new_loca.clone(),
            b"head" => {
                let mut h = data.clone();
                h.get_mut(8..12).ok_or_else(bad)?.fill(0); // checkSumAdjustment, below
                h.get_mut(50..52)
                    .ok_or_else(bad)?
                    .copy_from_slice(&1u16.to_be_bytes());
                h
            }
            b"post" => {
                let mut p = data.get(..32).ok_or_else(bad)?.to_vec();
                p[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());
                p
            }
            _ => data.clone(),
        };
        out_tables.push((*tag, data));
    }
    out_tables.sort_by_key(|(t, _)| *t);

    let checksum = |b: &[u8]| -> u32 {
        b.chunks(4).fold(0u32, |s, c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            s.wrapping_add(u32::from_be_bytes(w))
        })
    };
    let n = out_tables.len() as u16;
    let entry_selector = 15 - n.leading_zeros() as u16;
    let search_range = 16u16 << entry_selector;
    let mut out = Vec::with_capacity(font.len());
    out.extend(0x0001_0000u32.to_be_bytes());
    out.extend(n.to_be_bytes());
    out.extend(search_range.to_be_bytes());
    out.extend(entry_selector.to_be_bytes());
    out.extend((n * 16 - search_range).to_be_bytes());
    let mut offset = 12 + 16 * out_tables.len();
    let mut head_at = 0;
    for (tag, data) in &out_tables {
        out.extend(tag);
        out.extend(checksum(data).to_be_bytes());
        out.extend((offset as u32).to_be_bytes());
        out.extend((data.len() as u32).to_be_bytes());
        if tag == b"head" {
            head_at = offset;
        }
        offset += data.len().div_ceil(4) * 4;
    }
    for (_, data) in &out_tables {
        out.extend(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out[head_at + 8..head_at + 12].copy_from_slice(&adjustment.to_be_bytes());
    Ok(out)
}
