//! A minimal DER walker for the one thing typed decoding loses: the exact
//! bytes of each SignerInfo and of its signed attributes as the signer
//! encoded them (the signature covers those bytes; decoding re-sorts SETs).

/// One TLV: tag byte, the whole element, its value.
struct Tlv<'a> {
    tag: u8,
    whole: &'a [u8],
    value: &'a [u8],
}

/// Reads one definite-length TLV with a one-byte tag from the front of
/// `input`; returns it and the rest.
fn tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let tag = *input.first()?;
    if tag & 0x1f == 0x1f {
        return None; // multi-byte tags do not occur in CMS structure
    }
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None; // indefinite or absurd length
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *input.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    if end > input.len() {
        return None;
    }
    Some((
        Tlv {
            tag,
            whole: &input[..end],
            value: &input[header..end],
        },
        &input[end..],
    ))
}

/// A signer as encoded: the SignerInfo's bytes and, when present, its signed
/// attributes re-tagged as the SET OF the signature covers.
pub(crate) struct RawSigner<'a> {
    pub info: &'a [u8],
    pub signed_attrs: Option<Vec<u8>>,
}

/// The SignerInfos of a ContentInfo holding SignedData, in encoded order.
pub(crate) fn signers(content_info: &[u8]) -> Option<Vec<RawSigner<'_>>> {
    let (ci, _) = tlv(content_info)?;
    if ci.tag != 0x30 {
        return None;
    }
    let (_oid, rest) = tlv(ci.value)?;
    let (explicit, _) = tlv(rest)?;
    if explicit.tag != 0xa0 {
        return None;
    }
    let (sd, _) = tlv(explicit.value)?;
    if sd.tag != 0x30 {
        return None;
    }
    // version, digestAlgorithms, encapContentInfo, [0] certificates?,
    // [1] crls?, signerInfos
    let mut rest = sd.value;
    let mut infos = None;
    while !rest.is_empty() {
        let (t, r) = tlv(rest)?;
        rest = r;
        if rest.is_empty() {
            infos = Some(t);
        }
    }
    let infos = infos?;
    if infos.tag != 0x31 {
        return None;
    }
    let mut out = Vec::new();
    let mut rest = infos.value;
    while !rest.is_empty() {
        let (si, r) = tlv(rest)?;
        rest = r;
        // version, sid, digestAlgorithm, [0] IMPLICIT signedAttrs?
        let (_, r) = tlv(si.value)?;
        let (_, r) = tlv(r)?;
        let (_, r) = tlv(r)?;
        let signed_attrs = match tlv(r) {
            Some((a, _)) if a.tag == 0xa0 => {
                let mut bytes = a.whole.to_vec();
                bytes[0] = 0x31;
                Some(bytes)
            }
            _ => None,
        };
        out.push(RawSigner {
            info: si.whole,
            signed_attrs,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_beyond_the_input_are_refused() {
        assert!(tlv(&[0x30, 0x05, 0x01]).is_none());
        assert!(tlv(&[0x30, 0x80]).is_none(), "indefinite length");
        assert!(tlv(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_none());
        let (t, rest) = tlv(&[0x04, 0x01, 0xaa, 0x05]).unwrap();
        assert_eq!((t.tag, t.value, rest), (0x04, &[0xaa][..], &[0x05][..]));
    }
}
