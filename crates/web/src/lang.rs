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

/// The request's language, as an extractor.
#[derive(Debug, Clone, Copy)]
pub struct ReqLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(from_parts(parts)))
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
        [
            "Дерекқор қолжетімсіз",
            "База данных недоступна",
            "Database unavailable",
        ],
        [
            "Дерекқор уақытша жауап бермейді. Ештеңе жоғалған жоқ; сәлден соң қайталаңыз.",
            "База данных временно не отвечает. Ничего не потеряно; повторите чуть позже.",
            "The database is not answering for the moment. Nothing was lost; try again shortly.",
        ],
    ),
    (
        "unauthenticated",
        ["Кіру қажет", "Требуется вход", "Login required"],
        [
            "Жүйеге кіріңіз: Authorization тақырыбында жарамды токен жоқ.",
            "Войдите в систему: в заголовке Authorization нет действующего токена.",
            "Log in: there is no valid token in the Authorization header.",
        ],
    ),
    (
        "credentials-invalid",
        [
            "Кіру деректері қате",
            "Неверные данные для входа",
            "Wrong credentials",
        ],
        [
            "Пайдаланушы аты (немесе ЖСН) не құпиясөз қате.",
            "Неверное имя пользователя (или ИИН) или пароль.",
            "The username (or IIN) or the password is wrong.",
        ],
    ),
    (
        "login-rate-limited",
        [
            "Тым көп сәтсіз әрекет",
            "Слишком много неудачных попыток",
            "Too many failed attempts",
        ],
        [
            "Кіру уақытша бұғатталды. Retry-After көрсеткен уақыттан кейін қайталаңыз.",
            "Вход временно заблокирован. Повторите после времени, указанного в Retry-After.",
            "Login is blocked for a while. Try again after the time given in Retry-After.",
        ],
    ),
    (
        "csrf-invalid",
        ["Форма ескірді", "Форма устарела", "The form has expired"],
        [
            "Бетті қайта ашып, форманы қайта жіберіңіз.",
            "Откройте страницу заново и отправьте форму ещё раз.",
            "Open the page again and send the form once more.",
        ],
    ),
    (
        "version-none",
        ["Осы күнге регламент жоқ", "Нет регламента на эту дату", "No regulation on that date"],
        [
            "Бұл қызметтің көрсетілген күні қолданылатын нұсқасы жоқ.",
            "У этой услуги нет версии, действующей на указанную дату.",
            "This service has no version in force on the date given.",
        ],
    ),
    (
        "name-invalid",
        ["Аты-жөні қате", "Неверное ФИО", "Name invalid"],
        [
            "Аты-жөніңізді жазыңыз (300 таңбадан аспайтын).",
            "Укажите фамилию, имя и отчество (не длиннее 300 знаков).",
            "Give your full name (at most 300 characters).",
        ],
    ),
    (
        "password-weak",
        ["Құпиясөз тым қысқа", "Пароль слишком короткий", "Password too short"],
        [
            "Құпиясөз кемінде 10 таңбадан тұруы керек.",
            "Пароль должен содержать не менее 10 знаков.",
            "The password must have at least 10 characters.",
        ],
    ),
    (
        "password-mismatch",
        ["Құпиясөздер сәйкес емес", "Пароли не совпадают", "Passwords differ"],
        [
            "Жаңа құпиясөзді екі рет бірдей енгізіңіз.",
            "Введите новый пароль дважды одинаково.",
            "Type the new password the same way twice.",
        ],
    ),
    (
        "challenge-expired",
        ["Қол қоятын мәтіннің мерзімі өтті", "Срок строки для подписи истёк", "The text to sign has expired"],
        [
            "Қол қоятын жаңа мәтінді жүктеп алып, оған қайта қол қойыңыз.",
            "Скачайте новую строку для подписи и подпишите её заново.",
            "Download a new text to sign and sign it again.",
        ],
    ),
    (
        "user-exists",
        ["Тіркелгі бар", "Учётная запись уже есть", "Account exists"],
        [
            "Бұл ЖСН-мен тіркелгі бұрыннан бар: жүйеге кіріңіз.",
            "Учётная запись с этим ИИН уже есть: войдите в систему.",
            "There is already an account with this IIN: log in.",
        ],
    ),
    (
        "signature-file-missing",
        ["Қолтаңба файлы таңдалмады", "Файл подписи не выбран", "No signature file chosen"],
        [
            "Қолтаңба файлын (.p7s) таңдаңыз немесе NCALayer арқылы қол қойыңыз.",
            "Выберите файл подписи (.p7s) или подпишите через NCALayer.",
            "Choose a signature file (.p7s), or sign with NCALayer.",
        ],
    ),
    (
        "withdraw-unconfirmed",
        ["Кері қайтарып алу расталмады", "Отзыв не подтверждён", "Withdrawal not confirmed"],
        [
            "Өтінішті кері қайтарып алу үшін растау белгісін қойыңыз: мұны болдырмау мүмкін емес.",
            "Чтобы отозвать заявление, отметьте подтверждение: отзыв нельзя отменить.",
            "To withdraw the application, tick the confirmation: a withdrawal cannot be undone.",
        ],
    ),
    (
        "refusal-grounds-missing",
        ["Бас тарту негізі таңдалмады", "Не выбрано основание отказа", "No refusal ground chosen"],
        [
            "Тізімнен бас тартудың кемінде бір негізін белгілеңіз.",
            "Отметьте в перечне хотя бы одно основание отказа.",
            "Tick at least one refusal ground in the list.",
        ],
    ),
    (
        "signature-file-unreadable",
        ["Қолтаңба файлы оқылмады", "Файл подписи не читается", "Signature file unreadable"],
        [
            "CMS (.p7s) форматындағы қолтаңба файлын жүктеңіз: DER немесе base64.",
            "Загрузите файл подписи в формате CMS (.p7s): DER или base64.",
            "Upload a signature file in CMS (.p7s) format: DER or base64.",
        ],
    ),
    (
        "signature-verification-unavailable",
        ["ЭЦҚ тексеру қолжетімсіз", "Проверка ЭЦП недоступна", "EDS check unavailable"],
        [
            "Бұл серверде ЭЦҚ тексеру әлі қосылмаған: ЖСН-ді растау мүмкін емес. Кейінірек қайталаңыз.",
            "На этом сервере проверка ЭЦП ещё не подключена: подтвердить ИИН нельзя. Повторите позже.",
            "This server cannot check EDS signatures yet, so the IIN cannot be proved. Try again later.",
        ],
    ),
    (
        "signing-unavailable",
        ["Қол қою қолжетімсіз", "Подписание недоступно", "Signing unavailable"],
        [
            "Бұл серверде өтінішке қол қою әлі қосылмаған. Өтініш жоба ретінде сақталды.",
            "На этом сервере подписание заявлений ещё не подключено. Заявление сохранено как черновик.",
            "This server cannot take signatures on applications yet. The application is kept as a draft.",
        ],
    ),
    (
        "document-unavailable",
        ["Құжат қолжетімсіз", "Документ недоступен", "Document unavailable"],
        [
            "Бұл құжаттың PDF нұсқасы әзірге дайын емес. Кейінірек қайталаңыз.",
            "PDF этого документа пока не готов. Повторите позже.",
            "The PDF of this document is not ready yet. Try again later.",
        ],
    ),
    (
        "json-malformed",
        ["JSON қате", "Некорректный JSON", "Malformed JSON"],
        [
            "Сұрау денесі жарамды JSON емес.",
            "Тело запроса — не корректный JSON.",
            "The request body is not valid JSON.",
        ],
    ),
    (
        "body-invalid",
        [
            "Сұрау дұрыс толтырылмаған",
            "Запрос заполнен неверно",
            "Invalid request",
        ],
        [
            "Сұрау денесінің құрылымы күтілгенге сәйкес емес.",
            "Структура тела запроса не соответствует ожидаемой.",
            "The request body does not have the expected shape.",
        ],
    ),
    (
        "body-too-large",
        [
            "Сұрау тым үлкен",
            "Запрос слишком большой",
            "Request too large",
        ],
        [
            "Сұрау денесі рұқсат етілген көлемнен асады.",
            "Тело запроса превышает допустимый размер.",
            "The request body is larger than allowed.",
        ],
    ),
    (
        "content-type-unsupported",
        [
            "Қолдау көрсетілмейтін формат",
            "Неподдерживаемый формат",
            "Unsupported content type",
        ],
        [
            "Денені application/json ретінде жіберіңіз.",
            "Отправьте тело как application/json.",
            "Send the body as application/json.",
        ],
    ),
    (
        "query-invalid",
        [
            "Сұрау параметрлері қате",
            "Неверные параметры запроса",
            "Invalid query",
        ],
        [
            "Сұрау жолындағы параметрлердің бірі қате.",
            "Один из параметров строки запроса неверен.",
            "A query parameter is wrong.",
        ],
    ),
    (
        "cursor-invalid",
        ["Курсор қате", "Неверный курсор", "Invalid cursor"],
        [
            "Бет курсоры жарамсыз; тізімді басынан сұраңыз.",
            "Курсор страницы недействителен; запросите список с начала.",
            "The page cursor is not valid; ask for the list from the start.",
        ],
    ),
    (
        "service-unknown",
        ["Қызмет белгісіз", "Неизвестная услуга", "Unknown service"],
        [
            "Мұндай мемлекеттік қызмет каталогта жоқ.",
            "Такой государственной услуги нет в каталоге.",
            "There is no such state service in the catalog.",
        ],
    ),
    (
        "service-not-in-force",
        [
            "Регламент күшінде емес",
            "Регламент не действует",
            "No regulation in force",
        ],
        [
            "Бүгін бұл қызметтің күшіндегі регламенті жоқ.",
            "Сегодня у этой услуги нет действующего регламента.",
            "This service has no regulation in force today.",
        ],
    ),
    (
        "channel-unknown",
        ["Арна белгісіз", "Неизвестный канал", "Unknown channel"],
        [
            "Арна: office, state-corporation немесе portal.",
            "Канал: office, state-corporation или portal.",
            "The channel is office, state-corporation or portal.",
        ],
    ),
    (
        "channel-not-offered",
        [
            "Бұл арна арқылы көрсетілмейді",
            "Через этот канал не оказывается",
            "Not offered through this channel",
        ],
        [
            "Регламент бұл қызметті осы арна арқылы көрсетпейді.",
            "Регламент не предусматривает оказание услуги через этот канал.",
            "The regulation does not render this service through this channel.",
        ],
    ),
    (
        "provider-unknown",
        [
            "Қызмет беруші белгісіз",
            "Неизвестный услугодатель",
            "Unknown provider",
        ],
        [
            "Бұл қызмет беруші осы қызметті көрсетпейді.",
            "Этот услугодатель не оказывает эту услугу.",
            "This provider does not render this service.",
        ],
    ),
    (
        "provider-required",
        [
            "Қызмет берушіні көрсетіңіз",
            "Укажите услугодателя",
            "Provider required",
        ],
        [
            "Бұл қызметті бірнеше қызмет беруші көрсетеді.",
            "Эту услугу оказывают несколько услугодателей.",
            "Several providers render this service.",
        ],
    ),
    (
        "provider-forbidden",
        [
            "Басқа қызмет беруші",
            "Другой услугодатель",
            "Another provider",
        ],
        [
            "Өз қызмет берушіңіздің өтініштерін ғана қабылдай аласыз.",
            "Вы принимаете заявления только своего услугодателя.",
            "You take in applications for your own provider only.",
        ],
    ),
    (
        "iin-invalid",
        ["ЖСН қате", "Неверный ИИН", "Invalid IIN"],
        [
            "ЖСН 12 цифрдан тұрады және бақылау цифры сәйкес келуі керек.",
            "ИИН состоит из 12 цифр, контрольная цифра должна совпадать.",
            "An IIN is 12 digits with a matching check digit.",
        ],
    ),
    (
        "language-unknown",
        ["Тіл белгісіз", "Неизвестный язык", "Unknown language"],
        [
            "Тіл: kk, ru немесе en.",
            "Язык: kk, ru или en.",
            "The language is kk, ru or en.",
        ],
    ),
    (
        "field-invalid",
        [
            "Өріс қате толтырылған",
            "Поле заполнено неверно",
            "Invalid field",
        ],
        [
            "Өрістердің бірі қате толтырылған.",
            "Одно из полей заполнено неверно.",
            "A field is filled in wrongly.",
        ],
    ),
    (
        "form-invalid",
        [
            "Өтініш нысаны қате",
            "Форма заявления заполнена неверно",
            "Invalid form",
        ],
        [
            "Нысан қызметтің талаптарына сәйкес емес; errors тізімін қараңыз.",
            "Форма не соответствует требованиям услуги; см. список errors.",
            "The form does not meet the service's requirements; see errors.",
        ],
    ),
    (
        "documents-invalid",
        [
            "Құжаттар қабылданбады",
            "Документы не приняты",
            "Documents not accepted",
        ],
        [
            "Құжаттардың бірі қабылданбайды; errors тізімін қараңыз.",
            "Один из документов не может быть принят; см. список errors.",
            "A document cannot be taken; see errors.",
        ],
    ),
    (
        "applicant-mismatch",
        [
            "Басқа адамның өтініші",
            "Заявление другого лица",
            "Not your application",
        ],
        [
            "Порталда өзіңіз үшін немесе сенімхат бойынша өкіл ретінде ғана өтініш бересіз.",
            "На портале вы подаёте заявление за себя или как представитель по доверенности.",
            "On the portal you apply for yourself, or as the named representative.",
        ],
    ),
    (
        "action-unknown",
        ["Әрекет белгісіз", "Неизвестное действие", "Unknown action"],
        [
            "Әрекеттер: complete, refuse, return, pause, resume, withdraw.",
            "Действия: complete, refuse, return, pause, resume, withdraw.",
            "The actions are complete, refuse, return, pause, resume, withdraw.",
        ],
    ),
    (
        "action-forbidden",
        ["Рұқсат жоқ", "Нет права", "Not allowed"],
        [
            "Сіздің рөліңіз бұл әрекетті бұл қадамда орындамайды.",
            "Ваша роль не выполняет это действие на этом шаге.",
            "Your role does not do this at this step.",
        ],
    ),
    (
        "action-conflict",
        ["Қазір мүмкін емес", "Сейчас невозможно", "Not possible now"],
        [
            "Өтініштің қазіргі күйінде бұл әрекет мүмкін емес.",
            "В текущем состоянии заявления это действие невозможно.",
            "This action is not possible in the application's present state.",
        ],
    ),
    (
        "assignee-unknown",
        [
            "Маман белгісіз",
            "Неизвестный специалист",
            "Unknown specialist",
        ],
        [
            "Орындаушы осы қызмет берушінің маманы болуы керек.",
            "Исполнитель должен быть специалистом этого услугодателя.",
            "The assignee must be a specialist of this provider.",
        ],
    ),
    (
        "precondition-required",
        ["If-Match қажет", "Нужен If-Match", "If-Match required"],
        [
            "Соңғы оқылған ETag мәнін If-Match тақырыбында жіберіңіз.",
            "Отправьте последний прочитанный ETag в заголовке If-Match.",
            "Send the ETag you last read in If-Match.",
        ],
    ),
    (
        "precondition-failed",
        [
            "Өтініш өзгерді",
            "Заявление изменилось",
            "Application changed",
        ],
        [
            "Бет ашық тұрғанда өтініш өзгерді (оны басқа біреу өңдеген болуы мүмкін): бетті жаңартып, не өзгергенін қараңыз.",
            "Пока страница была открыта, заявление изменилось (возможно, с ним работал кто-то другой): обновите страницу и посмотрите, что изменилось.",
            "The application changed while the page was open (someone else may have worked on it): reload the page and see what changed.",
        ],
    ),
    (
        "idempotency-key-invalid",
        [
            "Idempotency-Key қате",
            "Неверный Idempotency-Key",
            "Invalid Idempotency-Key",
        ],
        [
            "Кілт 1–255 көрінетін таңбадан тұрады.",
            "Ключ — от 1 до 255 видимых символов.",
            "The key is 1 to 255 visible characters.",
        ],
    ),
    (
        "idempotency-key-reused",
        [
            "Кілт қайта қолданылды",
            "Ключ использован повторно",
            "Key reused",
        ],
        [
            "Бұл Idempotency-Key басқа сұрау үшін қолданылған.",
            "Этот Idempotency-Key использован для другого запроса.",
            "This Idempotency-Key was used for another request.",
        ],
    ),
    (
        "method-not-allowed",
        [
            "Әдіс рұқсат етілмеген",
            "Метод не разрешён",
            "Method not allowed",
        ],
        [
            "Бұл мекенжай мұндай HTTP әдісін қабылдамайды.",
            "Этот адрес не принимает такой HTTP-метод.",
            "This address does not take this HTTP method.",
        ],
    ),
    (
        "bad-request",
        ["Қате сұрау", "Неверный запрос", "Bad request"],
        [
            "Сұрауды түсіну мүмкін болмады.",
            "Запрос не удалось понять.",
            "The request could not be understood.",
        ],
    ),
    (
        "applicant-unknown",
        [
            "Өтініш беруші тіркелімде жоқ",
            "Заявителя нет в реестре",
            "Applicant not in the registry",
        ],
        [
            "Жеке тұлғалар дерекқоры бұл ЖСН-ді білмейді: деректерді алу мүмкін емес, өтініш қабылданбады.",
            "База данных физических лиц не знает этот ИИН: данные получить нельзя, заявление не принято.",
            "The individuals database does not know this IIN: the data cannot be obtained and nothing was taken in.",
        ],
    ),
    (
        "applicant-deceased",
        [
            "Өтініш беруші қайтыс болған деп белгіленген",
            "Заявитель отмечен как умерший",
            "Applicant recorded as deceased",
        ],
        [
            "Жеке тұлғалар дерекқоры бойынша бұл адам қайтыс болған: өтініш қабылданбады.",
            "По базе данных физических лиц этот человек умер: заявление не принято.",
            "The individuals database records this person as deceased: nothing was taken in.",
        ],
    ),
    (
        "registry-unavailable",
        [
            "Тіркелім жауап бермейді",
            "Реестр не отвечает",
            "Registry unavailable",
        ],
        [
            "Шлюз немесе оның артындағы тіркелім уақытында жауап бермеді; ештеңе сақталған жоқ. Сәлден соң қайталаңыз.",
            "Шлюз или реестр за ним не ответил вовремя; ничего не сохранено. Повторите чуть позже.",
            "The gateway or the registry behind it did not answer in time; nothing was stored. Try again shortly.",
        ],
    ),
    (
        "power-of-attorney-unknown",
        [
            "Сенімхат табылмады",
            "Доверенность не найдена",
            "Power of attorney not found",
        ],
        [
            "Нотариат жүйесі бұл нөмірдегі және осы сенім білдірушінің сенімхатын білмейді.",
            "Нотариальная система не знает доверенности с этим номером от этого доверителя.",
            "The notary system knows no power of attorney with this number from this principal.",
        ],
    ),
    (
        "power-of-attorney-revoked",
        [
            "Сенімхат кері қайтарылған",
            "Доверенность отозвана",
            "Power of attorney revoked",
        ],
        [
            "Нотариат жүйесі бойынша бұл сенімхаттың күші жойылған: өкіл ол бойынша әрекет ете алмайды.",
            "По нотариальной системе эта доверенность отозвана: представитель не может действовать по ней.",
            "The notary system records this power of attorney as revoked: the representative cannot act under it.",
        ],
    ),
    (
        "power-of-attorney-mismatch",
        [
            "Сенімхат басқа өкілге немесе басқа күнге берілген",
            "Доверенность выдана другому лицу или другой датой",
            "Power of attorney does not match",
        ],
        [
            "Нотариат жүйесіндегі сенімхатта өкілдің ЖСН-і немесе күні басқа.",
            "В доверенности в нотариальной системе другой ИИН представителя или другая дата.",
            "The power of attorney in the notary system names another representative or another date.",
        ],
    ),
    (
        "person-unknown",
        [
            "Адам тіркелімде жоқ",
            "Лица нет в реестре",
            "Person not in the registry",
        ],
        [
            "Жеке тұлғалар дерекқоры бұл ЖСН-ді білмейді.",
            "База данных физических лиц не знает этот ИИН.",
            "The individuals database does not know this IIN.",
        ],
    ),
    (
        "cms-malformed",
        ["Қолтаңба оқылмады", "Подпись не читается", "Signature unreadable"],
        [
            "Бұл CMS SignedData емес (DER, base64): файл бүлінген, қысқартылған немесе басқа пішімде.",
            "Это не CMS SignedData (DER, base64): файл повреждён, обрезан или в другом формате.",
            "This is not a CMS SignedData (DER, base64): the file is damaged, cut short or in another format.",
        ],
    ),
    (
        "signature-invalid",
        ["Қолтаңба жарамсыз", "Подпись недействительна", "Signature invalid"],
        [
            "Қолтаңба қол қойылатын деректерге сәйкес келмейді: деректер өзгерген немесе басқа кілтпен қол қойылған.",
            "Подпись не соответствует подписываемым данным: данные изменены или подписаны другим ключом.",
            "The signature does not match the data to sign: the data changed or another key signed it.",
        ],
    ),
    (
        "certificate-expired",
        ["Сертификат мерзімі өткен", "Срок сертификата истёк", "Certificate expired"],
        [
            "Сертификаттың мерзімі қазір немесе қол қойылған уақытта өтіп кеткен.",
            "Срок действия сертификата истёк сейчас или на момент подписания.",
            "The certificate had expired, now or at the time of signing.",
        ],
    ),
    (
        "certificate-not-yet-valid",
        ["Сертификат әлі жарамсыз", "Сертификат ещё не действует", "Certificate not yet valid"],
        [
            "Сертификаттың қолданылу мерзімі әлі басталмаған.",
            "Срок действия сертификата ещё не начался.",
            "The certificate's validity has not begun yet.",
        ],
    ),
    (
        "certificate-revoked",
        ["Сертификат кері қайтарылған", "Сертификат отозван", "Certificate revoked"],
        [
            "Сертификат кері қайтарылған сертификаттар тізімінде бар.",
            "Сертификат внесён в список отозванных сертификатов.",
            "The certificate is on the certificate revocation list.",
        ],
    ),
    (
        "certificate-untrusted",
        ["Сертификатқа сенім жоқ", "Сертификат не доверенный", "Certificate untrusted"],
        [
            "Сертификатты сенімді куәландырушы орталық бермеген.",
            "Сертификат выдан не доверенным удостоверяющим центром.",
            "No trusted certification authority issued the certificate.",
        ],
    ),
    (
        "certificate-no-iin",
        ["Сертификатта ЖСН жоқ", "В сертификате нет ИИН", "Certificate has no IIN"],
        [
            "Сертификатта дұрыс ЖСН (SERIALNUMBER=IIN…) жоқ.",
            "В сертификате нет действительного ИИН (SERIALNUMBER=IIN…).",
            "The certificate carries no valid IIN (SERIALNUMBER=IIN…).",
        ],
    ),
    (
        "key-usage",
        ["Кілт қол қоюға арналмаған", "Ключ не для подписи", "Key not for signing"],
        [
            "Бұл кілт аутентификацияға арналған; қол қою кілтін таңдаңыз.",
            "Этот ключ для аутентификации; выберите ключ для подписи.",
            "This key is for authentication; choose your signing key.",
        ],
    ),
    (
        "iin-mismatch",
        ["ЖСН сәйкес емес", "ИИН не совпадает", "IIN mismatch"],
        [
            "Сертификаттағы ЖСН өтінішке қол қоюшының ЖСН-іне сәйкес келмейді.",
            "ИИН в сертификате не совпадает с ИИН подписывающего заявление.",
            "The certificate's IIN is not that of the person signing the application.",
        ],
    ),
    (
        "unsupported-algorithm",
        ["Алгоритм қолдау көрсетілмейді", "Алгоритм не поддерживается", "Algorithm not supported"],
        [
            "Қолтаңба алгоритмі (мысалы, ГОСТ) әзірге қолдау көрсетілмейді; RSA кілтімен қол қойыңыз.",
            "Алгоритм подписи (например, ГОСТ) пока не поддерживается; подпишите ключом RSA.",
            "The signature algorithm (such as GOST) is not supported yet; sign with an RSA key.",
        ],
    ),
    (
        "admin-only",
        ["Әкімшіге ғана", "Только для администратора", "Administrators only"],
        [
            "Бұл бөлімді әкімші (оқу үшін аудитор да) ғана пайдаланады.",
            "Этим разделом пользуется только администратор (для чтения также аудитор).",
            "Only an administrator (and, to read, an auditor) may use this.",
        ],
    ),
    (
        "username-invalid",
        ["Пайдаланушы аты жарамсыз", "Недопустимое имя пользователя", "Invalid username"],
        [
            "2–64 таңба: a–z, 0–9, «.», «_», «-»; әріппен не цифрмен басталады.",
            "2–64 символа: a–z, 0–9, «.», «_», «-»; начинается с буквы или цифры.",
            "2 to 64 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit.",
        ],
    ),
    (
        "username-taken",
        ["Пайдаланушы аты бос емес", "Имя пользователя занято", "Username taken"],
        [
            "Мұндай атпен тіркелгі бар. Басқа ат таңдаңыз.",
            "Учётная запись с таким именем уже есть. Выберите другое имя.",
            "An account with this name exists. Choose another name.",
        ],
    ),
    (
        "role-unknown",
        ["Белгісіз рөл", "Неизвестная роль", "Unknown role"],
        [
            "Қызметкер рөлін көрсетіңіз: clerk, head, specialist, operator, admin, auditor.",
            "Укажите роль сотрудника: clerk, head, specialist, operator, admin, auditor.",
            "Give a staff role: clerk, head, specialist, operator, admin, auditor.",
        ],
    ),
    (
        "user-provider-unknown",
        ["Белгісіз қызмет беруші", "Неизвестный услугодатель", "Unknown provider"],
        [
            "Каталогта мұндай қызмет беруші жоқ.",
            "В каталоге нет такого услугодателя.",
            "The catalog has no such provider.",
        ],
    ),
    (
        "user-provider-required",
        ["Қызмет беруші көрсетілмеген", "Не указан услугодатель", "Provider required"],
        [
            "Кеңсе қызметкері, басшы мен маман қызмет берушіде жұмыс істейді: оны көрсетіңіз.",
            "Сотрудник канцелярии, руководитель и специалист работают у услугодателя: укажите его.",
            "A clerk, head or specialist works for a provider: name it.",
        ],
    ),
    (
        "display-name-invalid",
        ["Аты-жөні жарамсыз", "Недопустимое имя", "Invalid display name"],
        [
            "Аты-жөні 1–200 таңба болуы керек.",
            "Имя должно быть от 1 до 200 символов.",
            "The display name must be 1 to 200 characters.",
        ],
    ),
    (
        "self-disable",
        ["Өз тіркелгіңізді өшіруге болмайды", "Нельзя отключить свою учётную запись", "Cannot disable yourself"],
        [
            "Өз тіркелгіңізді басқа әкімші өшіреді.",
            "Свою учётную запись отключает другой администратор.",
            "Another administrator disables your own account.",
        ],
    ),
    (
        "reason-required",
        ["Негіздеме көрсетілмеген", "Не указано основание", "Reason required"],
        [
            "Шешім қабылданған актіні не шешімді атаңыз.",
            "Назовите акт или решение, на основании которого это сделано.",
            "Name the act or decision this rests on.",
        ],
    ),
    (
        "version-unknown",
        ["Белгісіз нұсқа", "Неизвестная версия", "Unknown version"],
        [
            "Бұл қызметтің мұндай регламент нұсқасы жоқ.",
            "У этой услуги нет такой версии регламента.",
            "The service has no such regulation version.",
        ],
    ),
    (
        "version-end-invalid",
        ["Аяқталу күні жарамсыз", "Недопустимая дата окончания", "Invalid end date"],
        [
            "Аяқталу күні нұсқаның басталуынан кейін және келесі нұсқаның басталуынан кешіктірмей болуы керек.",
            "Дата окончания должна быть после начала версии и не позже начала следующей.",
            "The end date must be after the version's start and no later than the next version's.",
        ],
    ),
    (
        "source-required",
        ["Дереккөз көрсетілмеген", "Не указан источник", "Source required"],
        [
            "Шешім қабылдаған актіні атаңыз (қаулы, бұйрық, күні).",
            "Назовите акт, которым это решено (постановление, приказ, дата).",
            "Name the act that decided it (decree, order, date).",
        ],
    ),
    (
        "date-required",
        ["Күні көрсетілмеген", "Не указана дата", "Date required"],
        [
            "Күнді көрсетіңіз.",
            "Укажите дату.",
            "Give the date.",
        ],
    ),
    (
        "date-invalid",
        ["Күні жарамсыз", "Недопустимая дата", "Invalid date"],
        [
            "Бұл күнге мұндай өзгеріс келмейді немесе ол күнтізбеден тыс.",
            "Такое изменение не подходит к этой дате или она вне календаря.",
            "This change does not fit this date, or the date is outside the calendar.",
        ],
    ),
    (
        "working-required",
        ["Жұмыс күні ме, көрсетілмеген", "Не указано, рабочий ли день", "Working flag required"],
        [
            "Түзетуде күннің жұмыс күні екенін не еместігін көрсетіңіз.",
            "В исправлении укажите, рабочий это день или нет.",
            "A correction says whether the day is a working day.",
        ],
    ),
    (
        "year-required",
        ["Жылы көрсетілмеген", "Не указан год", "Year required"],
        [
            "Жарияланған жылды көрсетіңіз.",
            "Укажите опубликованный год.",
            "Give the published year.",
        ],
    ),
    (
        "calendar-edit-invalid",
        ["Күнтізбе өзгерісі жарамсыз", "Недопустимое изменение календаря", "Invalid calendar edit"],
        [
            "Бұл өзгеріспен күнтізбе құрылмайды; толығырақ сипаттамада.",
            "С этим изменением календарь не строится; подробности в описании.",
            "The calendar does not build with this edit; the detail says why.",
        ],
    ),
    (
        "calendar-not-editable",
        ["Күнтізбені өзгерту мүмкін емес", "Календарь нельзя изменить", "Calendar not editable"],
        [
            "Сервер күнтізбе файлынсыз іске қосылған; әкімшіге хабарлаңыз.",
            "Сервер запущен без файла календаря; сообщите администратору.",
            "The server runs without its calendar file; tell the operators.",
        ],
    ),
    (
        "recompute-busy",
        ["Өтініш бос емес", "Заявление занято", "Application busy"],
        [
            "Қайта есептеу кезінде өтініш өзгере берді; әрекетті қайталаңыз.",
            "Во время пересчёта заявление продолжало меняться; повторите действие.",
            "The application kept changing during the recompute; ask again.",
        ],
    ),
    // The administrator's pages (pages/admin.rs).
    (
        "confirm-required",
        ["Растау қажет", "Нужно подтверждение", "Confirmation needed"],
        [
            "Бұл әрекетті болдырмау мүмкін емес: растау белгісін қойыңыз.",
            "Это действие нельзя отменить: отметьте подтверждение.",
            "This cannot be undone: tick the confirmation.",
        ],
    ),
    (
        "calendar-kind-required",
        ["Өзгеріс түрін таңдаңыз", "Выберите вид изменения", "Choose the kind of edit"],
        [
            "Мереке, ауыстырылған жұмыс күні, түзету, Құрбан айт немесе жарияланған жыл.",
            "Праздник, перенесённый рабочий день, поправка, Курбан айт или опубликованный год.",
            "A holiday, a moved working day, a correction, Kurban Ait or a published year.",
        ],
    ),
    // Documents (documents.rs).
    (
        "document-not-ready",
        [
            "Құжат әлі дайын емес",
            "Документ ещё не готов",
            "The document is not ready yet",
        ],
        [
            "Нәтиже құжатының жобасы әлі жасалып жатыр. Бірнеше секундтан кейін қайталаңыз.",
            "Проект документа с результатом ещё формируется. Повторите через несколько секунд.",
            "The result document is still being drafted. Try again in a few seconds.",
        ],
    ),
    (
        "result-not-received",
        [
            "Нәтиже әлі келген жоқ",
            "Результат ещё не поступил",
            "The result has not arrived yet",
        ],
        [
            "Көрсетілетін қызметті берушінің мөрленген нәтижесі шлюз арқылы әлі келген жоқ. Ол келгеннен кейін беріңіз.",
            "Запечатанный результат услугодателя ещё не поступил через шлюз. Выдайте его после поступления.",
            "The provider's sealed result has not yet come back through the gateway. Issue it once it has arrived.",
        ],
    ),
    (
        "seal-key-missing",
        [
            "Басшының кілті серверде жоқ",
            "Ключа руководителя нет на сервере",
            "No key of the head on the server",
        ],
        [
            "Құжат жобасына өз ЭЦҚ-ңызбен қол қойып, қолтаңбаны `cms` өрісінде жіберіңіз.",
            "Подпишите проект документа своей ЭЦП и отправьте подпись в поле `cms`.",
            "Sign the draft document with your own key and send the signature as `cms`.",
        ],
    ),
    (
        "seal-invalid",
        [
            "Қолтаңба қабылданбады",
            "Подпись не принята",
            "Signature refused",
        ],
        [
            "Құжатқа қойылған қолтаңба тексеруден өтпеді; себебі толығырақ сипаттамада көрсетілген.",
            "Подпись документа не прошла проверку; причина указана в подробностях.",
            "The signature of the document did not pass the checks; the detail says why.",
        ],
    ),
    (
        "verify-rate-limited",
        [
            "Тым көп сұрау",
            "Слишком много запросов",
            "Too many lookups",
        ],
        [
            "Бұл мекенжайдан құжатты тексеру уақытша шектелді. Retry-After көрсеткен уақыттан кейін қайталаңыз.",
            "Проверка документов с этого адреса временно ограничена. Повторите после времени, указанного в Retry-After.",
            "Checking documents from this address is limited for a while. Try again after the time given in Retry-After.",
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
