//! The public catalog: the services in force today, and each regulation to
//! read — steps with their time limits, documents, refusal grounds, legal
//! basis and history, and which version applies on a date.

use super::{render, Ctx};
use crate::applications::local_date;
use crate::problem::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use qyzmet_domain::catalog::{render_text, GroundStage, Lang};
use qyzmet_domain::{Channel, Limit};
use serde::Deserialize;

pub struct ServiceItem {
    pub code: String,
    pub name: String,
    pub act: String,
    pub portal: bool,
}

#[derive(Template)]
#[template(path = "catalog.html")]
pub struct CatalogPage {
    pub c: Ctx,
    pub services: Vec<ServiceItem>,
    pub today: String,
}

pub async fn index(State(state): State<AppState>, c: Ctx) -> Response {
    let today = local_date(state.now());
    let catalog = state.catalog();
    let services = catalog
        .services_at(today)
        .into_iter()
        .map(|s| ServiceItem {
            name: s.name.get(c.lang).to_owned(),
            act: format!("№ {} ({})", s.regulation.act, s.regulation.date),
            portal: s.channels.contains(&Channel::Portal),
            code: s.code,
        })
        .collect();
    render(&CatalogPage {
        services,
        today: today.to_string(),
        c,
    })
}

/// The catalog's text of a regulation (`## ` and `### ` headings, `- `
/// list items, lines between) as headings (2, 3), lists (1, one item a
/// line) and paragraphs (0), so that a page shows it as a document rather
/// than as its markup.
fn text_blocks(text: &str) -> Vec<(u8, String)> {
    let mut out: Vec<(u8, String)> = Vec::new();
    for line in text.lines() {
        let heading = line
            .strip_prefix("### ")
            .map(|h| (3, h))
            .or_else(|| line.strip_prefix("## ").map(|h| (2, h)));
        let (kind, body) = match (heading, line.strip_prefix("- ")) {
            (Some(h), _) => h,
            (None, Some(item)) => (1, item),
            (None, None) if line.trim().is_empty() => {
                out.push((0, String::new()));
                continue;
            }
            (None, None) => (0, line),
        };
        match out.last_mut() {
            Some((k, text)) if kind < 2 && *k == kind && !text.is_empty() => {
                text.push('\n');
                text.push_str(body);
            }
            _ => out.push((kind, body.to_owned())),
        }
    }
    out.retain(|(_, t)| !t.is_empty());
    out
}

/// A time limit in words, the noun agreeing with the number ("1 рабочий
/// день", "2 рабочих дня", "5 рабочих дней"; "1 working day").
pub fn limit_text(c: &Ctx, limit: Limit) -> String {
    let (n, forms) = match limit {
        Limit::Minutes(n) => (
            n,
            [
                "limit.minutes.one",
                "limit.minutes.few",
                "limit.minutes.many",
            ],
        ),
        Limit::WorkingDays(n) => (
            n,
            [
                "limit.working-days.one",
                "limit.working-days.few",
                "limit.working-days.many",
            ],
        ),
        Limit::CalendarDays(n) => (
            n,
            [
                "limit.calendar-days.one",
                "limit.calendar-days.few",
                "limit.calendar-days.many",
            ],
        ),
    };
    let n = u64::from(n);
    format!("{n} {}", c.t(forms[plural(c.lang, n)]))
}

/// Which plural form a count takes (0 one, 1 few, 2 many): Russian has
/// three, English two; Kazakh keeps the noun singular after a number (the
/// third form carries it).
fn plural(lang: Lang, n: u64) -> usize {
    match lang {
        Lang::Ru if n % 10 == 1 && n % 100 != 11 => 0,
        Lang::Ru if (2..=4).contains(&(n % 10)) && !(12..=14).contains(&(n % 100)) => 1,
        Lang::En if n == 1 => 0,
        _ => 2,
    }
}

pub struct StepRow {
    pub name: &'static str,
    pub who: String,
    pub limit: String,
    pub what: String,
    pub paragraphs: String,
}

pub struct Row {
    pub name: String,
    pub note: String,
}

pub struct VersionRow {
    pub code: String,
    pub from: String,
    pub until: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "service.html")]
pub struct ServicePage {
    pub c: Ctx,
    pub code: String,
    pub name: String,
    pub version: String,
    pub at: String,
    pub from: String,
    pub until: String,
    pub basis: String,
    pub portal: bool,
    /// Where the application is made instead, when not on the portal.
    pub elsewhere: String,
    pub steps: Vec<StepRow>,
    pub documents: Vec<Row>,
    pub grounds: Vec<Row>,
    pub history: Vec<Row>,
    pub versions: Vec<VersionRow>,
    /// The regulation's text as headings (2, 3) and paragraphs (0).
    pub text: Vec<(u8, String)>,
}

#[derive(Deserialize)]
pub struct AtQuery {
    at: Option<String>,
}

pub async fn service(
    State(state): State<AppState>,
    c: Ctx,
    Path(code): Path<String>,
    Query(q): Query<AtQuery>,
) -> Response {
    let catalog = state.catalog();
    let Some(service) = catalog.service(&code) else {
        return ApiError::new(StatusCode::NOT_FOUND, "service-unknown").into_response();
    };
    let at = match q.at.as_deref().filter(|s| !s.is_empty()) {
        None => local_date(state.now()),
        Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                return ApiError::new(StatusCode::BAD_REQUEST, "query-invalid").into_response()
            }
        },
    };
    let Some(version) = catalog.version_at(&code, at) else {
        return ApiError::new(StatusCode::NOT_FOUND, "version-none").into_response();
    };
    let l: Lang = c.lang;
    let steps = version
        .steps
        .iter()
        .map(|s| {
            let mut who = c.t(&format!("role.{}", s.role.code())).to_owned();
            for (ch, r) in &s.roles {
                if *r != s.role {
                    who.push_str(&format!(
                        "; {}: {}",
                        c.t(&format!("channel.{}", ch.code())),
                        c.t(&format!("role.{}", r.code()))
                    ));
                }
            }
            StepRow {
                name: c.t(&format!("step.{}", s.code.code())),
                who,
                limit: limit_text(&c, s.limit),
                what: s.what.get(l).to_owned(),
                paragraphs: s.paragraphs.join(", "),
            }
        })
        .collect();
    let documents = version
        .documents
        .iter()
        .map(|d| Row {
            name: d.name.get(l).to_owned(),
            note: if d.required {
                c.t("doc.required").to_owned()
            } else {
                c.t("doc.optional").to_owned()
            },
        })
        .collect();
    let grounds = version
        .refusal_grounds
        .iter()
        .map(|g| Row {
            name: g.name.get(l).to_owned(),
            note: match g.stage {
                GroundStage::Intake => c.t("ground.intake").to_owned(),
                GroundStage::Decision => c.t("ground.decision").to_owned(),
            },
        })
        .collect();
    let history = catalog
        .history(version)
        .into_iter()
        .map(|a| Row {
            name: format!("{} — {}", a.issuer.get(l), a.title.get(l)),
            note: format!("№ {}, {}", a.number, a.date),
        })
        .collect();
    let basis = catalog
        .act(&version.act)
        .map(|a| {
            format!(
                "{} — {}, № {}, {}{}",
                a.issuer.get(l),
                a.title.get(l),
                a.number,
                a.date,
                version
                    .act_part
                    .as_ref()
                    .map(|p| format!(", {}", p.get(l)))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_else(|| version.act.clone());
    let versions = service
        .versions
        .iter()
        .map(|v| VersionRow {
            code: v.code.clone(),
            from: v.effective_from.to_string(),
            until: v
                .effective_until
                .map(|d| d.to_string())
                .unwrap_or_else(|| "—".to_owned()),
            current: v.code == version.code,
        })
        .collect();
    let page = ServicePage {
        code: code.clone(),
        name: service.name.get(l).to_owned(),
        version: version.code.clone(),
        at: at.to_string(),
        from: version.effective_from.to_string(),
        until: version
            .effective_until
            .map(|d| d.to_string())
            .unwrap_or_default(),
        basis,
        portal: version.channel(Channel::Portal).is_some(),
        elsewhere: version
            .channels
            .iter()
            .filter(|r| r.channel != Channel::Portal)
            .map(|r| c.t(&format!("channel.{}", r.channel.code())))
            .collect::<Vec<_>>()
            .join(", "),
        steps,
        documents,
        grounds,
        history,
        versions,
        text: text_blocks(&render_text(&catalog, version, l)),
        c,
    };
    render(&page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_regulation_text_becomes_headings_and_paragraphs() {
        let blocks =
            text_blocks("Name\nCode: x\n\n## Steps\n### one (office)\na\nb\n- i\n- ii\n\nc\n");
        assert_eq!(
            blocks,
            [
                (0, "Name\nCode: x".to_owned()),
                (2, "Steps".to_owned()),
                (3, "one (office)".to_owned()),
                (0, "a\nb".to_owned()),
                (1, "i\nii".to_owned()),
                (0, "c".to_owned()),
            ]
        );
    }

    #[test]
    fn russian_nouns_agree_with_their_number() {
        let ru: Vec<usize> = [1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111]
            .into_iter()
            .map(|n| plural(Lang::Ru, n))
            .collect();
        assert_eq!(ru, [0, 1, 1, 2, 2, 2, 2, 0, 1, 2, 0, 2]);
        assert_eq!(plural(Lang::En, 1), 0);
        assert_eq!(plural(Lang::En, 2), 2);
        assert_eq!(plural(Lang::Kk, 1), 2);
    }
}
