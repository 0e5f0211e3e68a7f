//! The regulation as readable text (`qyzmet catalog show`), in one language.

use super::{Act, Catalog, GroundStage, Lang, Placeholder, ProcessKind, ResultKind, Version};
use crate::{Channel, Limit, Role};
use std::fmt::Write;

fn t(lang: Lang, kk: &'static str, ru: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Kk => kk,
        Lang::Ru => ru,
        Lang::En => en,
    }
}

fn limit(lang: Lang, l: Limit) -> String {
    let n = l.amount();
    let one = n == 1;
    let unit = match l {
        Limit::Minutes(_) => t(
            lang,
            "минут",
            "мин.",
            if one { "minute" } else { "minutes" },
        ),
        Limit::WorkingDays(_) => t(
            lang,
            "жұмыс күні",
            "раб. дн.",
            if one { "working day" } else { "working days" },
        ),
        Limit::CalendarDays(_) => t(
            lang,
            "күнтізбелік күн",
            "календ. дн.",
            if one { "calendar day" } else { "calendar days" },
        ),
    };
    format!("{n} {unit}")
}

fn role(lang: Lang, r: Role) -> &'static str {
    match r {
        Role::Clerk => t(
            lang,
            "кеңсе қызметкері",
            "сотрудник канцелярии",
            "office clerk",
        ),
        Role::Head => t(lang, "басшы", "руководитель", "head"),
        Role::Specialist => t(
            lang,
            "жауапты маман",
            "ответственный исполнитель",
            "responsible specialist",
        ),
        Role::Operator => t(
            lang,
            "Мемлекеттік корпорация операторы",
            "оператор Госкорпорации",
            "State Corporation operator",
        ),
        Role::Admin => t(lang, "әкімші", "администратор", "administrator"),
        Role::Auditor => t(lang, "аудитор", "аудитор", "auditor"),
        Role::Applicant => t(
            lang,
            "көрсетілетін қызметті алушы",
            "услугополучатель",
            "applicant",
        ),
    }
}

fn channel(lang: Lang, c: Channel) -> &'static str {
    match c {
        Channel::Office => t(
            lang,
            "көрсетілетін қызметті берушінің кеңсесі",
            "канцелярия услугодателя",
            "the provider's office",
        ),
        Channel::StateCorporation => t(
            lang,
            "Мемлекеттік корпорация",
            "Госкорпорация",
            "State Corporation",
        ),
        Channel::Portal => t(
            lang,
            "\"электрондық үкімет\" веб-порталы",
            "портал \"электронного правительства\"",
            "e-government portal",
        ),
    }
}

fn placeholder(out: &mut String, lang: Lang, p: &Option<Placeholder>, indent: &str) {
    if let Some(p) = p {
        let label = t(lang, "ОРЫНТОЛТЫРҒЫШ", "ЗАГЛУШКА", "PLACEHOLDER");
        let _ = writeln!(out, "{indent}[{label}] {}", p.note.get(lang));
    }
}

/// A step's name in the reader's language (the code stays beside it).
fn step_name(lang: Lang, code: super::StepCode) -> &'static str {
    use super::StepCode as S;
    match code {
        S::Register => t(lang, "Тіркеу", "Регистрация", "Registration"),
        S::Resolution => t(lang, "Бұрыштама", "Резолюция", "Resolution"),
        S::Review => t(lang, "Қарау", "Рассмотрение", "Review"),
        S::Sign => t(lang, "Қол қою", "Подписание", "Signing"),
        S::Issue => t(lang, "Беру", "Выдача", "Issue"),
    }
}

/// A related act as a person names it: number and date, not its code.
fn act_ref(catalog: &Catalog, code: &str) -> String {
    match catalog.act(code) {
        Some(a) => format!("№ {} ({})", a.number, a.date),
        None => code.to_owned(),
    }
}

fn act_line(lang: Lang, a: &Act) -> String {
    let mut s = format!(
        "{} № {} ({}) — {}",
        a.issuer.get(lang),
        a.number,
        a.date,
        a.title.get(lang)
    );
    if let Some(n) = &a.registration_number {
        let _ = write!(s, "; {} № {n}", t(lang, "тіркелген", "рег.", "reg."));
        if let Some(d) = a.registration_date {
            let _ = write!(s, " ({d})");
        }
    }
    if let Some(d) = a.effective_date {
        let _ = write!(
            s,
            "; {} {d}",
            t(lang, "күшіне енді", "вступил в силу", "in force from")
        );
        if a.effective_date_placeholder {
            let _ = write!(
                s,
                " [{}]",
                t(lang, "орынтолтырғыш", "заглушка", "placeholder")
            );
        }
    }
    s
}

/// The regulation of `version` as text in `lang`. Placeholders are marked.
pub fn render_text(catalog: &Catalog, version: &Version, lang: Lang) -> String {
    let mut out = String::new();
    let o = &mut out;
    let service = catalog.service(&version.service);
    if let Some(s) = service {
        let _ = writeln!(o, "{}", s.name.get(lang));
    }
    let _ = writeln!(o, "{}: {}", t(lang, "Код", "Код", "Code"), version.service);
    let _ = writeln!(
        o,
        "{}: {}",
        t(lang, "Нұсқа", "Версия", "Version"),
        version.code
    );
    let _ = write!(
        o,
        "{}: {}",
        t(lang, "Қолданылады", "Применяется с", "Applies from"),
        version.effective_from
    );
    match version.effective_until {
        Some(u) => {
            let _ = writeln!(o, " {} {u}", t(lang, "дейін", "до", "until"));
        }
        None => {
            let _ = writeln!(o);
        }
    }
    if let Some(a) = catalog.act(&version.act) {
        let _ = write!(o, "{}: {}", t(lang, "Акт", "Акт", "Act"), act_line(lang, a));
        if let Some(p) = &version.act_part {
            let _ = write!(o, ", {}", p.get(lang));
        }
        let _ = writeln!(o);
    }

    let _ = writeln!(
        o,
        "\n## {}",
        t(lang, "Құқықтық тарих", "Правовая история", "Legal history")
    );
    for a in catalog.history(version) {
        let _ = writeln!(o, "- {}", act_line(lang, a));
        for r in a.restates.iter().map(|r| act_ref(catalog, r)) {
            let _ = writeln!(
                o,
                "  {}: {r}",
                t(
                    lang,
                    "жаңа редакцияда жазады",
                    "излагает в новой редакции",
                    "restates"
                )
            );
        }
        for r in a.repeals.iter().map(|r| act_ref(catalog, r)) {
            let _ = writeln!(
                o,
                "  {}: {r}",
                t(lang, "күшін жояды", "отменяет", "repeals")
            );
        }
        if let Some(r) = a.repealed_by.as_deref().map(|r| act_ref(catalog, r)) {
            let _ = write!(
                o,
                "  {}: {r}",
                t(lang, "күшін жойған", "отменён", "repealed by")
            );
            if let Some(d) = a.repealed_on {
                let _ = write!(o, " ({d})");
            }
            let _ = writeln!(o);
        }
        placeholder(o, lang, &a.placeholder, "  ");
    }

    let _ = writeln!(
        o,
        "\n## {}",
        t(
            lang,
            "Көрсетілетін қызметті беруші",
            "Услугодатель",
            "Provider"
        )
    );
    let _ = writeln!(o, "{}", version.provider_kind.get(lang));
    if let Some(s) = service {
        for p in s.providers.iter().filter_map(|p| catalog.provider(p)) {
            let _ = writeln!(o, "- {} ({})", p.name.get(lang), p.code);
            placeholder(o, lang, &p.placeholder, "  ");
        }
    }
    let _ = writeln!(
        o,
        "{}: {}",
        t(lang, "Нысаны", "Форма", "Form"),
        version.rendering.get(lang)
    );
    let _ = writeln!(
        o,
        "{}: {}",
        t(lang, "Нәтиже", "Результат", "Result"),
        version.result_delivery.get(lang)
    );

    let _ = writeln!(o, "\n## {}", t(lang, "Арналар", "Каналы", "Channels"));
    for c in &version.channels {
        let _ = writeln!(
            o,
            "### {} ({}, {})",
            channel(lang, c.channel),
            c.channel,
            c.paragraph
        );
        let refuses = if c.intake.refuses_incomplete {
            t(
                lang,
                "толық емес құжаттар топтамасы қабылданбайды",
                "неполный пакет документов не принимается",
                "an incomplete package is refused at intake",
            )
        } else {
            t(
                lang,
                "толық емес топтама қабылдау кезінде қайтарылмайды",
                "неполный пакет при приёме не возвращается",
                "an incomplete package is not refused at intake",
            )
        };
        let _ = writeln!(
            o,
            "{refuses} ({}): {}",
            c.intake.paragraph,
            c.intake.note.get(lang)
        );
        for p in &c.process {
            let kind = match p.kind {
                ProcessKind::Step => String::new(),
                ProcessKind::Process => format!(
                    "{} {}: ",
                    t(lang, "процесс", "процесс", "process"),
                    p.number.unwrap_or(0)
                ),
                ProcessKind::Condition => format!(
                    "{} {}: ",
                    t(lang, "шарт", "условие", "condition"),
                    p.number.unwrap_or(0)
                ),
            };
            let _ = writeln!(o, "  {} {kind}{}", p.paragraph, p.text.get(lang));
        }
    }

    let _ = writeln!(
        o,
        "\n## {}",
        t(lang, "Қатысушылар", "Участники", "Participants")
    );
    for p in &version.participants {
        let _ = writeln!(o, "- {} ({}, {})", p.name.get(lang), p.role, p.paragraph);
    }

    let _ = writeln!(o, "\n## {}", t(lang, "Рәсімдер", "Процедуры", "Steps"));
    for (i, s) in version.steps.iter().enumerate() {
        let mut who = format!("{} ({})", role(lang, s.role), s.role);
        for (c, r) in &s.roles {
            let _ = write!(who, "; {}: {} ({r})", channel(lang, *c), role(lang, *r));
        }
        let _ = writeln!(
            o,
            "{}. {} ({}) [{}] — {who} — {} — {}",
            i + 1,
            step_name(lang, s.code),
            s.code,
            s.paragraphs.join(", "),
            limit(lang, s.limit),
            s.what.get(lang)
        );
        let _ = writeln!(
            o,
            "   {}: {}",
            t(lang, "нәтижесі", "результат", "outcome"),
            s.outcome.get(lang)
        );
    }

    let _ = writeln!(o, "\n## {}", t(lang, "Құжаттар", "Документы", "Documents"));
    for d in &version.documents {
        let req = if d.required {
            t(lang, "міндетті", "обязательный", "required")
        } else {
            t(lang, "міндетті емес", "необязательный", "optional")
        };
        let _ = writeln!(
            o,
            "- {} ({}, {req}) — {}",
            d.name.get(lang),
            d.code,
            d.citation.get(lang)
        );
        placeholder(o, lang, &d.placeholder, "  ");
    }

    let _ = writeln!(
        o,
        "\n## {}",
        t(
            lang,
            "Бас тарту негіздері",
            "Основания для отказа",
            "Refusal grounds"
        )
    );
    for g in &version.refusal_grounds {
        let stage = match g.stage {
            GroundStage::Intake => t(lang, "қабылдау кезінде", "при приёме", "at intake"),
            GroundStage::Decision => t(lang, "шешім", "решение", "decision"),
        };
        let _ = writeln!(
            o,
            "- {} ({}, {stage}) — {}",
            g.name.get(lang),
            g.code,
            g.citation.get(lang)
        );
        placeholder(o, lang, &g.placeholder, "  ");
    }

    let _ = writeln!(
        o,
        "\n## {}",
        t(lang, "Нәтиже нысандары", "Формы результата", "Result forms")
    );
    for f in &version.result_forms {
        let kind = match f.kind {
            ResultKind::Approval => t(lang, "рұқсат / шешім", "разрешение / решение", "approval"),
            ResultKind::Refusal => t(lang, "бас тарту", "отказ", "refusal"),
            ResultKind::Receipt => t(lang, "қолхат", "расписка", "receipt"),
        };
        let _ = writeln!(
            o,
            "- {} ({}, {kind}) — {}",
            f.name.get(lang),
            f.code,
            f.citation.get(lang)
        );
        placeholder(o, lang, &f.placeholder, "  ");
    }

    if let Some(p) = &version.payment {
        let _ = writeln!(o, "\n## {}", t(lang, "Төлем", "Выплата", "Payment"));
        let _ = writeln!(
            o,
            "{} {} — {}",
            p.mrp_per_child,
            t(
                lang,
                "АЕК әр балаға",
                "МРП на каждого ребёнка",
                "MRP per child"
            ),
            p.citation.get(lang)
        );
    }
    out
}
