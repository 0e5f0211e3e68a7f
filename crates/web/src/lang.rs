//! The caller's language: `?lang=`, then the `lang` cookie, then
//! Accept-Language; Kazakh when nothing says otherwise. And the messages of
//! the API's problems in kk, ru and en.

use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
pub use qyzmet_domain::catalog::Lang;
use std::convert::Infallible;

fn from_code(code: &str) -> Option<Lang> {
    let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    match primary.as_str() {
        "kk" | "kz" => Some(Lang::Kk),
        "ru" => Some(Lang::Ru),
        "en" => Some(Lang::En),
        _ => None,
    }
}

/// The best of kk/ru/en in an Accept-Language header, by q-value.
pub fn negotiate(accept_language: &str) -> Option<Lang> {
    let mut best: Option<(Lang, f32)> = None;
    for part in accept_language.split(',') {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("");
        let q = it
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if let Some(l) = from_code(tag) {
            if q > 0.0 && best.is_none_or(|(_, bq)| q > bq) {
                best = Some((l, q));
            }
        }
    }
    best.map(|(l, _)| l)
}

pub fn from_parts(parts: &Parts) -> Lang {
    if let Some(q) = parts.uri.query() {
        for pair in q.split('&') {
            if let Some(v) = pair.strip_prefix("lang=") {
                if let Some(l) = from_code(v) {
                    return l;
                }
            }
        }
    }
    for cookie in parts.headers.get_all(header::COOKIE) {
        if let Ok(c) = cookie.to_str() {
            for kv in c.split(';') {
                if let Some(v) = kv.trim().strip_prefix("lang=") {
                    if let Some(l) = from_code(v) {
                        return l;
                    }
                }
            }
        }
    }
    parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(negotiate)
        .unwrap_or(Lang::Kk)
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(from_parts(parts))
    }
}

/// (title, message) of a problem code in a language.
pub fn problem_text(code: &str, lang: Lang) -> (&'static str, &'static str) {
    let row = PROBLEMS
        .iter()
        .find(|p| p.0 == code)
        .unwrap_or(&PROBLEMS[0]);
    let i = match lang {
        Lang::Kk => 0,
        Lang::Ru => 1,
        Lang::En => 2,
    };
    (row.1[i], row.2[i])
}

type Row = (&'static str, [&'static str; 3], [&'static str; 3]);

/// Every problem code the API answers with. The first row is the fallback.
pub static PROBLEMS: &[Row] = &[
    (
        "internal",
        ["Ішкі қате", "Внутренняя ошибка", "Internal error"],
        [
            "Сұрауды өңдеу мүмкін болмады. Кейінірек қайталаңыз және сұрау нөмірін хабарлаңыз.",
            "Не удалось обработать запрос. Повторите позже и сообщите номер запроса.",
            "The request could not be processed. Try again later and quote the request id.",
        ],
    ),
    (
        "not-found",
        ["Табылмады", "Не найдено", "Not found"],
        [
            "Мұндай жазба жоқ немесе оны көруге құқығыңыз жоқ.",
            "Такой записи нет или у вас нет права её видеть.",
            "There is no such record, or you may not see it.",
        ],
    ),
    (
        "database-unavailable",
        ["Дерекқор қолжетімсіз", "База данных недоступна", "Database unavailable"],
        [
            "Дерекқор уақытша жауап бермейді. Ештеңе жоғалған жоқ; сәлден соң қайталаңыз.",
            "База данных временно не отвечает. Ничего не потеряно; повторите чуть позже.",
            "The database is not answering for the moment. Nothing was lost; try again shortly.",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_known() {
        assert_eq!(negotiate("ru-RU,ru;q=0.9,en;q=0.8"), Some(Lang::Ru));
        assert_eq!(negotiate("de, en;q=0.5, kk;q=0.7"), Some(Lang::Kk));
        assert_eq!(negotiate("de"), None);
        assert_eq!(negotiate("en;q=0, ru;q=0.1"), Some(Lang::Ru));
    }

    #[test]
    fn every_problem_has_three_languages() {
        for (code, titles, messages) in PROBLEMS {
            for t in titles.iter().chain(messages) {
                assert!(!t.trim().is_empty(), "{code}");
            }
        }
        let mut codes: Vec<_> = PROBLEMS.iter().map(|p| p.0).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), PROBLEMS.len(), "duplicate problem codes");
    }
}
