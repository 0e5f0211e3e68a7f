//! The PDF as a reader meets it: the Kazakh text comes back out as text, the
//! QR code embedded in the page decodes to the verify address, and the same
//! content gives the same bytes.

use lopdf::{Document, Object};
use qyzmet_documents::{render, Content};

fn kazakh() -> Content {
    Content {
        lang: "kk".into(),
        issuer: "Қарағанды қаласының білім бөлімі".into(),
        title: "Баламен кездесуге рұқсат".into(),
        fields: vec![
            ("Тіркеу нөмірі".into(), "KZ-2026-000042".into()),
            ("Күні".into(), "2026-11-23".into()),
            (
                "Өтініш беруші".into(),
                "Әлия Ғабитқызы Құрманова, ЖСН 871008401427".into(),
            ),
            ("Қол қойған".into(), "Басшы Һ. Іскаков".into()),
        ],
        body: vec![
            "Әріптер: ә ғ қ ң ө ұ ү һ і Ә Ғ Қ Ң Ө Ұ Ү Һ І.".into(),
            "• бірінші тармақ".into(),
            "Ұзын мәтін ".repeat(80),
        ],
        notes: vec!["Нысан уақытша: Стандарттың 1-қосымшасы.".into()],
        verify_url: "https://qyzmet.example.kz/verify/0123456789abcdef0123".into(),
        verify_label: "Құжаттың түпнұсқалығын тексеру:".into(),
    }
}

fn text_of(pdf: &[u8]) -> String {
    let doc = Document::load_mem(pdf).expect("the PDF opens");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("text extracts")
}

#[test]
fn kazakh_letters_are_real_text() {
    let pdf = render(&kazakh()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = text_of(&pdf);
    for needle in [
        "Қарағанды",
        "ә",
        "ғ",
        "қ",
        "ң",
        "ө",
        "ұ",
        "ү",
        "һ",
        "і",
        "Ә",
        "Ғ",
        "Қ",
        "Ң",
        "Ө",
        "Ұ",
        "Ү",
        "Һ",
        "І",
        "KZ-2026-000042",
        "871008401427",
    ] {
        assert!(text.contains(needle), "{needle:?} not found in {text:?}");
    }
}

#[test]
fn the_font_is_embedded() {
    let pdf = render(&kazakh()).unwrap();
    let doc = Document::load_mem(&pdf).unwrap();
    let embedded = doc.objects.values().any(|o| {
        o.as_dict()
            .ok()
            .is_some_and(|d| d.has(b"FontFile2") || d.has(b"FontFile3"))
    });
    assert!(embedded, "no embedded font program");
}

/// The embedded QR image, read back out of the PDF as grey pixels (a 1-bit
/// image unpacked, every pixel `SCALE`×`SCALE` for the decoder, as a viewer
/// scales it up).
fn qr_image(pdf: &[u8]) -> (usize, usize, Vec<u8>) {
    const SCALE: usize = 4;
    let doc = Document::load_mem(pdf).unwrap();
    for obj in doc.objects.values() {
        let Object::Stream(s) = obj else { continue };
        if s.dict.get(b"Subtype").and_then(|o| o.as_name()).ok() != Some(b"Image".as_slice()) {
            continue;
        }
        let w = s.dict.get(b"Width").unwrap().as_i64().unwrap() as usize;
        let h = s.dict.get(b"Height").unwrap().as_i64().unwrap() as usize;
        let bpc = s.dict.get(b"BitsPerComponent").unwrap().as_i64().unwrap();
        assert_eq!(bpc, 1, "a 1-bit image");
        let data = s
            .decompressed_content()
            .unwrap_or_else(|_| s.content.clone());
        let row = w.div_ceil(8);
        assert_eq!(data.len(), row * h, "the image's bytes");
        let (sw, sh) = (w * SCALE, h * SCALE);
        let mut grey = vec![0u8; sw * sh];
        for y in 0..sh {
            for x in 0..sw {
                let (px, py) = (x / SCALE, y / SCALE);
                let bit = data[py * row + px / 8] & (0x80 >> (px % 8));
                grey[y * sw + x] = if bit != 0 { 255 } else { 0 };
            }
        }
        return (sw, sh, grey);
    }
    panic!("no image in the PDF");
}

#[test]
fn the_qr_code_in_the_pdf_decodes_to_the_verify_url() {
    let content = kazakh();
    let pdf = render(&content).unwrap();
    let (w, h, grey) = qr_image(&pdf);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| grey[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    let (_, decoded) = grids[0].decode().expect("the QR code decodes");
    assert_eq!(decoded, content.verify_url);
}

#[test]
fn the_same_content_gives_the_same_bytes() {
    let a = render(&kazakh()).unwrap();
    let b = render(&kazakh()).unwrap();
    assert_eq!(a, b);
    let mut other = kazakh();
    other.fields[0].1 = "KZ-2026-000043".into();
    assert_ne!(a, render(&other).unwrap());
}

#[test]
fn long_text_flows_onto_more_pages() {
    let mut c = kazakh();
    c.body = vec!["Қарағанды облысы, ".repeat(40); 30];
    let pdf = render(&c).unwrap();
    let doc = Document::load_mem(&pdf).unwrap();
    assert!(doc.get_pages().len() >= 2);
}

#[test]
fn a_character_the_font_lacks_is_refused() {
    let mut c = kazakh();
    c.title = "𓀀".into();
    assert!(matches!(
        render(&c),
        Err(qyzmet_documents::DocumentError::Glyph('𓀀'))
    ));
}

#[test]
fn text_beyond_the_usual_alphabets_is_drawn_and_extracts() {
    let mut c = kazakh();
    c.body.push("Ἀθῆναι, Ελληνικά αβγ, Ђ Ћ Ѣ, ﬁ".into());
    c.title = "Баламен кездесуге рұқсат — Ελλάδα".into();
    let pdf = render(&c).unwrap();
    let text = text_of(&pdf);
    for needle in ["Ελληνικά", "αβγ", "Ђ", "Ѣ", "Ελλάδα", "Қарағанды", "ұ"]
    {
        assert!(text.contains(needle), "{needle:?} not found in {text:?}");
    }
    assert_eq!(pdf, render(&c).unwrap(), "the same bytes again");
}

#[test]
fn metadata_names_the_title_language_and_creator() {
    let pdf = render(&kazakh()).unwrap();
    let doc = Document::load_mem(&pdf).unwrap();
    let info = doc
        .get_dictionary(doc.trailer.get(b"Info").unwrap().as_reference().unwrap())
        .unwrap();
    let text = |o: &Object| lopdf::decode_text_string(o).unwrap();
    assert_eq!(text(info.get(b"Title").unwrap()), kazakh().title);
    assert_eq!(text(info.get(b"Creator").unwrap()), "Qyzmet");
    let catalog = doc.catalog().unwrap();
    assert_eq!(text(catalog.get(b"Lang").unwrap()), "kk");
    for (_, page) in doc.get_pages() {
        let page = doc.get_dictionary(page).unwrap();
        let media: Vec<f32> = page
            .get(b"MediaBox")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_float().unwrap())
            .collect();
        assert_eq!(media, [0.0, 0.0, 595.28, 841.89], "A4");
    }
}
