//! `qyzmet catalog check` and `qyzmet catalog show`.

use super::catalog_for_input;
use crate::catalog_source::LoadError;
use crate::cli::CatalogCommand;
use crate::Failure;
use qyzmet_domain::calendar::parse_date;
use qyzmet_domain::catalog::{render_text, Lang};

pub fn run(cmd: CatalogCommand) -> Result<(), Failure> {
    match cmd {
        CatalogCommand::Check { dir } => match crate::load_catalog(dir.as_deref()) {
            Ok(loaded) => {
                let services = loaded.catalog.services().len();
                let versions: usize = loaded
                    .catalog
                    .services()
                    .iter()
                    .map(|s| s.versions.len())
                    .sum();
                println!("ok: {services} services, {versions} versions");
                Ok(())
            }
            Err(e @ LoadError::Invalid(_)) => Err(Failure::found(e.render())),
            Err(e @ LoadError::Io(_)) => Err(Failure::usage(format!("error: {}", e.render()))),
        },
        CatalogCommand::Show {
            code,
            at,
            lang,
            source,
        } => {
            let lang: Lang = lang.parse().map_err(|_| {
                Failure::usage(format!("error: --lang must be kk, ru or en, got {lang:?}"))
            })?;
            let date = match at {
                Some(at) => parse_date(&at).map_err(|e| Failure::usage(format!("error: {e}")))?,
                None => chrono::Utc::now()
                    .with_timezone(&qyzmet_domain::calendar::ZONE)
                    .date_naive(),
            };
            let loaded = catalog_for_input(source.catalog.as_deref())?;
            let catalog = &loaded.catalog;
            if catalog.service(&code).is_none() {
                let known: Vec<_> = catalog.services().iter().map(|s| s.code.clone()).collect();
                return Err(Failure::usage(format!(
                    "error: unknown service `{code}` (known: {})",
                    known.join(", ")
                )));
            }
            let version = catalog.version_at(&code, date).ok_or_else(|| {
                Failure::usage(format!(
                    "error: no version of `{code}` is in force on {date}"
                ))
            })?;
            print!("{}", render_text(catalog, version, lang));
            Ok(())
        }
    }
}
