//! Where the catalog comes from: the copy built into the binary, or a
//! directory named on the command line. Reading files happens here so that
//! `domain` stays pure.

use include_dir::{include_dir, Dir};
use qyzmet_domain::calendar::{Calendar, CalendarData};
use qyzmet_domain::catalog::{self, Catalog};
use qyzmet_domain::Diagnostic;
use std::path::{Path, PathBuf};

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../catalog");

/// The calendar's data file inside a catalog.
const CALENDAR_FILE: &str = "calendars/kz.toml";

/// A catalog with the calendar it carries.
pub struct Loaded {
    pub catalog: Catalog,
    pub calendar_data: CalendarData,
    pub calendar: Calendar,
}

/// Why a catalog could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The directory or a file in it could not be read.
    Io(String),
    /// The files were read and are wrong; every problem found.
    Invalid(Vec<Diagnostic>),
}

impl LoadError {
    /// The lines to print, one problem a line.
    pub fn render(&self) -> String {
        match self {
            LoadError::Io(m) => m.clone(),
            LoadError::Invalid(diags) => diags
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

fn embedded_files() -> Vec<(String, String)> {
    fn walk(dir: &Dir<'_>, out: &mut Vec<(String, String)>) {
        for file in dir.files() {
            if let Some(text) = file.contents_utf8() {
                out.push((file.path().to_string_lossy().into_owned(), text.to_owned()));
            }
        }
        for sub in dir.dirs() {
            walk(sub, out);
        }
    }
    let mut out = Vec::new();
    walk(&EMBEDDED, &mut out);
    out.sort();
    out
}

fn dir_files(root: &Path) -> Result<Vec<(String, String)>, LoadError> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<(), LoadError> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| LoadError::Io(format!("{}: cannot read directory: {e}", dir.display())))?;
        for entry in entries {
            let entry = entry.map_err(|e| LoadError::Io(format!("{}: {e}", dir.display())))?;
            let path: PathBuf = entry.path();
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out)?;
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| LoadError::Io(format!("{}: cannot read: {e}", path.display())))?;
                out.push((rel, text));
            }
        }
        Ok(())
    }
    if !root.is_dir() {
        return Err(LoadError::Io(format!(
            "{}: not a catalog directory",
            root.display()
        )));
    }
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    out.sort();
    Ok(out)
}

/// Loads only the calendar of a catalog (`None`: the built-in one): the
/// calendar commands need no more, and a broken service file must not stop
/// them.
pub fn load_calendar(dir: Option<&Path>) -> Result<Calendar, LoadError> {
    let text = match dir {
        Some(d) => {
            if !d.is_dir() {
                return Err(LoadError::Io(format!(
                    "{}: not a catalog directory",
                    d.display()
                )));
            }
            let path = d.join(CALENDAR_FILE);
            std::fs::read_to_string(&path)
                .map_err(|e| LoadError::Io(format!("{}: cannot read: {e}", path.display())))?
        }
        None => EMBEDDED
            .get_file(CALENDAR_FILE)
            .and_then(|f| f.contents_utf8())
            .ok_or_else(|| {
                LoadError::Io(format!(
                    "{CALENDAR_FILE}: missing from the built-in catalog"
                ))
            })?
            .to_owned(),
    };
    let data = CalendarData::parse(CALENDAR_FILE, &text).map_err(LoadError::Invalid)?;
    Calendar::build(&data, &[])
        .map_err(|e| LoadError::Invalid(vec![Diagnostic::new(CALENDAR_FILE, 0, e.to_string())]))
}

/// Loads and checks a catalog (`None`: the built-in one) and its calendar,
/// reporting every problem found in either.
pub fn load_catalog(dir: Option<&Path>) -> Result<Loaded, LoadError> {
    let files = match dir {
        Some(d) => dir_files(d)?,
        None => embedded_files(),
    };
    let mut diags = Vec::new();
    let catalog = match catalog::load(&files) {
        Ok(c) => Some(c),
        Err(d) => {
            diags.extend(d);
            None
        }
    };
    let calendar_data = match files.iter().find(|(p, _)| p == CALENDAR_FILE) {
        Some((p, text)) => match CalendarData::parse(p, text) {
            Ok(data) => Some(data),
            Err(d) => {
                diags.extend(d);
                None
            }
        },
        None => {
            diags.push(Diagnostic::new(
                CALENDAR_FILE,
                0,
                "the calendar file is missing",
            ));
            None
        }
    };
    match (catalog, calendar_data) {
        (Some(catalog), Some(calendar_data)) if diags.is_empty() => {
            let calendar = Calendar::build(&calendar_data, &[]).map_err(|e| {
                LoadError::Invalid(vec![Diagnostic::new(CALENDAR_FILE, 0, e.to_string())])
            })?;
            Ok(Loaded {
                catalog,
                calendar_data,
                calendar,
            })
        }
        _ => Err(LoadError::Invalid(diags)),
    }
}
