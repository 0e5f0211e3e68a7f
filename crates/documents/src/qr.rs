//! The QR code of a document's verify address, as a matrix of modules and
//! as the image embedded in the PDF.

use qrcode::{Color, EcLevel, QrCode};

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
pub fn qr_matrix(url: &str) -> Result<QrMatrix, DocumentError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|e| DocumentError::Qr(e.to_string()))?;
    let width = u32::try_from(code.width()).map_err(|e| DocumentError::Qr(e.to_string()))?;
    Ok(QrMatrix {
        width,
        dark: code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect(),
    })
}

impl QrMatrix {
    /// The code with its quiet zone as RGBA pixels, `scale` pixels a module;
    /// returns the pixels and the side in pixels.
    pub fn rgba(&self, scale: u32) -> (Vec<u8>, u32) {
        let (grey, side) = self.grey(scale);
        let mut out = Vec::with_capacity(grey.len() * 4);
        for g in grey {
            out.extend_from_slice(&[g, g, g, 255]);
        }
        (out, side)
    }

    /// As [`rgba`](Self::rgba), one grey byte a pixel.
    pub fn grey(&self, scale: u32) -> (Vec<u8>, u32) {
        let side = (self.width + 2 * QUIET_ZONE) * scale;
        let mut out = vec![255u8; (side * side) as usize];
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = (x / scale, y / scale);
                let inside = (QUIET_ZONE..QUIET_ZONE + self.width).contains(&mx)
                    && (QUIET_ZONE..QUIET_ZONE + self.width).contains(&my);
                if inside {
                    let i = ((my - QUIET_ZONE) * self.width + (mx - QUIET_ZONE)) as usize;
                    if self.dark[i] {
                        out[(y * side + x) as usize] = 0;
                    }
                }
            }
        }
        (out, side)
    }
}
