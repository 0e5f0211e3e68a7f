//! `qyzmet pki demo | sign | verify`: the demo PKI, signing for scripts,
//! and judging a signature exactly as the server does.

use std::path::Path;

use crate::cli::PkiCommand;
use crate::Failure;
use qyzmet_pki::{demo, Signer, TrustConfig, Verifier};

pub fn run(cmd: PkiCommand) -> Result<(), Failure> {
    match cmd {
        PkiCommand::Demo { out } => {
            let pki = demo::ensure(&out).map_err(|e| Failure::found(format!("error: {e}")))?;
            println!(
                "demo PKI in {} (password `{}`)",
                pki.dir.display(),
                demo::PASSWORD
            );
            Ok(())
        }
        PkiCommand::Sign {
            p12,
            password,
            input,
            out,
            detached,
        } => {
            let signer = Signer::from_p12(&read(&p12)?, &password)
                .map_err(|e| Failure::usage(format!("error: {}: {e}", p12.display())))?;
            let cms = signer
                .sign(&read(&input)?, detached)
                .map_err(|e| Failure::found(format!("error: {e}")))?;
            std::fs::write(&out, cms)
                .map_err(|e| Failure::usage(format!("error: {}: {e}", out.display())))
        }
        PkiCommand::Verify {
            file,
            content,
            trust_anchors,
            intermediates,
            crl,
            at,
        } => {
            let at = match at {
                Some(s) => qyzmet_domain::calendar::parse_time(&s)
                    .map_err(|e| Failure::usage(format!("error: --at: {e}")))?
                    .with_timezone(&chrono::Utc),
                None => chrono::Utc::now(),
            };
            // As in demo mode, the national CA's test IIN is accepted.
            let mut config = TrustConfig {
                accept_test_iins: true,
                ..TrustConfig::default()
            };
            for f in &trust_anchors {
                config
                    .add_anchor_file(f)
                    .map_err(|e| Failure::usage(format!("error: --trust-anchors {e}")))?;
            }
            for f in &intermediates {
                config
                    .add_intermediates(&read(f)?)
                    .map_err(|e| Failure::usage(format!("error: --intermediates {e}")))?;
            }
            for f in &crl {
                config
                    .add_crl_file(f)
                    .map_err(|e| Failure::usage(format!("error: --crl {e}")))?;
            }
            let cms = qyzmet_pki::verify::cms_bytes(&read(&file)?);
            let content = content.as_deref().map(read).transpose()?;
            let j = Verifier::new(config).judge(&cms, content.as_deref(), at);
            let holder = j.holder.as_ref();
            println!("subject: {}", holder.map_or("-", |h| h.subject.as_str()));
            println!(
                "iin: {}",
                holder.and_then(|h| h.iin.as_deref()).unwrap_or("-")
            );
            match j.outcome {
                Ok(_) => {
                    println!("verdict: valid");
                    Ok(())
                }
                Err(r) => {
                    println!("verdict: {}", r.code());
                    Err(Failure::found(""))
                }
            }
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::usage(format!("error: {}: {e}", path.display())))
}
