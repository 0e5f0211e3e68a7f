//! The QR code of a document's verify address, as a matrix of modules and
//! as the image embedded in the PDF.

use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{Color, EcLevel};

use crate::DocumentError;

/// Modules of white border around the code, as the QR standard asks.
pub const QUIET_ZONE: u32 = 4;

/// A QR code: `width`×`width` modules, dark where `true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    pub width: u32,
    pub dark: Vec<bool>,
}

/// Encodes `url` with medium error correction (a printed page survives a
/// fold or a stain).
///
/// The mask is fixed (pattern 000, the checkerboard) rather than the one of
/// the eight that scores best by the standard's penalty rules: scoring all
/// eight took longer than the rest of a page's layout, and any mask decodes;
/// the penalty only steers away from patterns that confuse a poor scanner.
pub fn qr_matrix(url: &str) -> Result<QrMatrix, DocumentError> {
    let err = |e: qrcode::types::QrError| DocumentError::Qr(e.to_string());
    let bits = qrcode::bits::encode_auto(url.as_bytes(), EcLevel::M).map_err(err)?;
    let version = bits.version();
    let (data, ec) =
        qrcode::ec::construct_codewords(&bits.into_bytes(), version, EcLevel::M).map_err(err)?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    canvas.apply_mask(MaskPattern::Checkerboard);
    let width = u32::try_from(version.width()).map_err(|e| DocumentError::Qr(e.to_string()))?;
    Ok(QrMatrix {
        width,
        dark: canvas
            .into_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect(),
    })
}

impl QrMatrix {
    /// The code with its quiet zone as a 1-bit grey image, one pixel a
    /// module, rows padded to whole bytes (a set bit is white, as in a PDF
    /// `DeviceGray` image); returns the bytes and the side in pixels.
    pub fn bits(&self) -> (Vec<u8>, u32) {
        let side = self.width + 2 * QUIET_ZONE;
        let row = side.div_ceil(8) as usize;
        let mut out = vec![0xffu8; row * side as usize];
        for my in 0..self.width {
            for mx in 0..self.width {
                if self.dark[(my * self.width + mx) as usize] {
                    let (x, y) = ((mx + QUIET_ZONE) as usize, (my + QUIET_ZONE) as usize);
                    out[y * row + x / 8] &= !(0x80 >> (x % 8));
                }
            }
        }
        (out, side)
    }
}
