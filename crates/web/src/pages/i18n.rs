//! Every text of the pages in Kazakh (the interface's first language),
//! Russian and English: one table, so a key cannot lack a language; the
//! tests check that every key a template or page uses is in it and that
//! every field of every catalog form has a label.

use crate::lang::Lang;

/// (key, [kk, ru, en]).
pub static TEXTS: &[(&str, [&str; 3])] = &[
    ("site.name", ["Qyzmet — мемлекеттік қызметтер", "Qyzmet — государственные услуги", "Qyzmet — state services"]),
    ("layout.skip", ["Негізгі мазмұнға өту", "Перейти к основному содержанию", "Skip to main content"]),
    ("layout.demo", ["Демо режим: деректер ойдан шығарылған, құжаттардың заңды күші жоқ.", "Демонстрационный режим: данные вымышлены, документы не имеют юридической силы.", "Demo mode: the data are made up and the documents have no legal force."]),
    ("layout.nav", ["Негізгі мәзір", "Основное меню", "Main menu"]),
    ("layout.language", ["Тіл", "Язык", "Language"]),
    ("layout.signed-in-as", ["Сіз жүйеге кірдіңіз:", "Вы вошли как", "Signed in as"]),
    ("layout.footer", ["Қарағанды облысының мемлекеттік қызмет регламенттері бойынша өтініштер.", "Заявления по регламентам государственных услуг Карагандинской области.", "Applications under the state service regulations of Karaganda region."]),
    ("nav.services", ["Қызметтер", "Услуги", "Services"]),
    ("nav.cabinet", ["Жеке кабинет", "Личный кабинет", "My applications"]),
    ("nav.password", ["Құпиясөзді өзгерту", "Сменить пароль", "Change password"]),
    ("nav.logout", ["Шығу", "Выйти", "Log out"]),
    ("nav.login", ["Кіру", "Войти", "Log in"]),
    ("nav.register", ["Тіркелу", "Регистрация", "Register"]),
    ("error.status", ["Күйі", "Код ответа", "Status"]),
    ("error.request-id", ["Сұрау нөмірі (қолдау қызметіне хабарлаңыз)", "Номер запроса (сообщите его в поддержку)", "Request id (quote it to support)"]),
    ("error.home", ["Басты бетке оралу", "Вернуться на главную", "Back to the home page"]),
    ("catalog.title", ["Мемлекеттік қызметтер", "Государственные услуги", "State services"]),
    ("catalog.lead", ["Қызметті таңдаңыз: оның регламентін оқып, порталда өтініш беруге болады.", "Выберите услугу: можно прочитать её регламент и подать заявление на портале.", "Pick a service: read its regulation and apply on the portal."]),
    ("catalog.regulation", ["Регламент", "Регламент", "Regulation"]),
    ("catalog.apply", ["Өтініш беру", "Подать заявление", "Apply"]),
    ("catalog.in-force", ["Күні қолданыстағы нұсқалар:", "Версии, действующие на дату:", "Versions in force on"]),
    ("service.version", ["Нұсқа", "Версия", "Version"]),
    ("service.applies-from", ["қолданылу басы", "применяется с", "applies from"]),
    ("service.applies-until", ["қолданылу соңы", "применяется до", "applies until"]),
    ("service.applies", ["қолданылады", "применяется", "applies"]),
    ("service.at", ["Қай күнгі регламент", "Регламент на дату", "Regulation on the date"]),
    ("service.show", ["Көрсету", "Показать", "Show"]),
    ("service.basis", ["Құқықтық негіз", "Правовое основание", "Legal basis"]),
    ("service.steps", ["Қадамдар мен мерзімдер", "Шаги и сроки", "Steps and time limits"]),
    ("service.step", ["Қадам", "Шаг", "Step"]),
    ("service.who", ["Кім орындайды", "Кто выполняет", "Who"]),
    ("service.limit", ["Мерзімі", "Срок", "Time limit"]),
    ("service.what", ["Не істейді", "Что делает", "What is done"]),
    ("service.documents", ["Қажетті құжаттар", "Необходимые документы", "Documents"]),
    ("service.grounds", ["Бас тарту негіздері", "Основания для отказа", "Grounds for refusal"]),
    ("service.history", ["Құқықтық актілер тарихы", "История правовых актов", "Legal history"]),
    ("service.versions", ["Регламент нұсқалары", "Версии регламента", "Versions of the regulation"]),
    ("service.full-text", ["Регламенттің толық мәтіні", "Полный текст регламента", "Full text of the regulation"]),
    ("limit.minutes", ["жұмыс минуты", "рабочих минут", "working minutes"]),
    ("limit.working-days", ["жұмыс күні", "рабочих дней", "working days"]),
    ("limit.calendar-days", ["күнтізбелік күн", "календарных дней", "calendar days"]),
    ("doc.required", ["міндетті", "обязательно", "required"]),
    ("doc.optional", ["міндетті емес", "необязательно", "optional"]),
    ("doc.too-large", ["Файл тым үлкен.", "Файл слишком большой.", "The file is too large."]),
    ("doc.type", ["Тек PDF, JPEG немесе PNG файлдары қабылданады.", "Принимаются только файлы PDF, JPEG или PNG.", "Only PDF, JPEG or PNG files are accepted."]),
    ("doc.again", ["Файлдарды қайта таңдаңыз: олар сақталмады.", "Выберите файлы заново: они не сохранены.", "Choose the files again: they were not kept."]),
    ("ground.intake", ["қабылдаудан бас тарту", "отказ в приёме", "refusal at intake"]),
    ("ground.decision", ["дәлелді бас тарту", "мотивированный отказ", "motivated refusal"]),
    ("login.title", ["Жүйеге кіру", "Вход", "Log in"]),
    ("login.login", ["ЖСН немесе пайдаланушы аты", "ИИН или имя пользователя", "IIN or username"]),
    ("login.login-hint", ["Өтініш беруші ЖСН-ін (12 цифр) енгізеді.", "Заявитель вводит ИИН (12 цифр).", "Applicants enter their IIN (12 digits)."]),
    ("login.password", ["Құпиясөз", "Пароль", "Password"]),
    ("login.submit", ["Кіру", "Войти", "Log in"]),
    ("login.no-account", ["Тіркелгіңіз жоқ па? Тіркеліңіз", "Нет учётной записи? Зарегистрируйтесь", "No account? Register"]),
    ("register.title", ["Порталда тіркелу", "Регистрация на портале", "Register on the portal"]),
    ("register.lead", ["ЖСН және құпиясөз арқылы тіркелу (регламенттің 9-тармағы). ЖСН-ді ЭЦҚ-мен бір реттік мәтінге қол қойып растайсыз.", "Регистрация по ИИН и паролю (пункт 9 регламента). ИИН подтверждается подписью одноразовой строки вашей ЭЦП.", "Registration with your IIN and a password (regulation §9). You prove the IIN by signing a one-time text with your EDS."]),
    ("register.iin", ["ЖСН", "ИИН", "IIN"]),
    ("register.name", ["Тегі, аты, әкесінің аты", "Фамилия, имя, отчество", "Full name"]),
    ("register.password", ["Жаңа құпиясөз", "Новый пароль", "New password"]),
    ("register.password-hint", ["Кемінде 10 таңба.", "Не менее 10 знаков.", "At least 10 characters."]),
    ("register.password2", ["Құпиясөзді қайталаңыз", "Повторите пароль", "Repeat the password"]),
    ("register.eds", ["ЖСН-ді ЭЦҚ-мен растау", "Подтверждение ИИН подписью ЭЦП", "Prove the IIN with your EDS"]),
    ("register.eds-hint", ["Файлды жүктеп алып, оған кез келген құралмен (NCALayer, pki sign) ЭЦҚ-мен қол қойыңыз да, .p7s файлын жүктеңіз. Мәтін 15 минут жарамды.", "Скачайте файл, подпишите его своей ЭЦП любым средством (NCALayer, pki sign) и загрузите файл .p7s. Строка действует 15 минут.", "Download the file, sign it with your EDS using any tool (NCALayer, pki sign) and upload the .p7s file. The text is valid for 15 minutes."]),
    ("register.challenge", ["Қол қоятын мәтінді жүктеп алу", "Скачать строку для подписи", "Download the text to sign"]),
    ("register.submit", ["Тіркелу", "Зарегистрироваться", "Register"]),
    ("register.done", ["Тіркелу аяқталды: енді кіре аласыз.", "Регистрация завершена: теперь можно войти.", "Registered: you can now log in."]),
    ("password.title", ["Құпиясөзді өзгерту", "Смена пароля", "Change password"]),
    ("password.current", ["Қазіргі құпиясөз", "Текущий пароль", "Current password"]),
    ("password.submit", ["Өзгерту", "Сменить", "Change"]),
    ("password.done", ["Құпиясөз өзгертілді; басқа сеанстар жабылды.", "Пароль изменён; другие сеансы закрыты.", "Password changed; other sessions were closed."]),
    ("form.errors", ["Мына қателерді түзетіңіз", "Исправьте ошибки", "Fix these problems"]),
    ("form.required", ["Бұл өрісті толтырыңыз.", "Заполните это поле.", "Fill in this field."]),
    ("form.too-long", ["Мәтін тым ұзын.", "Слишком длинный текст.", "The text is too long."]),
    ("form.date", ["Күнді ЖЖЖЖ-АА-КК түрінде енгізіңіз.", "Введите дату в виде ГГГГ-ММ-ДД.", "Enter the date as YYYY-MM-DD."]),
    ("form.iin", ["ЖСН дұрыс емес: 12 цифр және бақылау цифры.", "ИИН неверен: 12 цифр с контрольной цифрой.", "The IIN is not valid: 12 digits with a check digit."]),
    ("form.pattern", ["Мән талап етілген пішімге сәйкес емес.", "Значение не соответствует требуемому формату.", "The value does not have the required format."]),
    ("form.invalid", ["Мән қабылданбады.", "Значение не принято.", "The value was not accepted."]),
    ("form.optional", ["міндетті емес", "необязательно", "optional"]),
    ("form.add-row", ["Тағы қосу", "Добавить ещё", "Add another"]),
    ("form.iin-hint", ["12 цифр.", "12 цифр.", "12 digits."]),
    ("form.iban-hint", ["KZ және 18 таңба, бос орынсыз.", "KZ и 18 знаков, без пробелов.", "KZ and 18 characters, no spaces."]),
    ("apply.lead", ["Өтінішті толтырып, құжаттардың электрондық көшірмелерін тіркеңіз. Содан кейін оған ЭЦҚ-мен қол қоясыз.", "Заполните заявление и приложите электронные копии документов. Затем вы подпишете его ЭЦП.", "Fill in the application and attach electronic copies of the documents. Then you sign it with your EDS."]),
    ("apply.documents", ["Құжаттар", "Документы", "Documents"]),
    ("apply.documents-hint", ["PDF, JPEG немесе PNG, әр файл ең көбі", "PDF, JPEG или PNG, каждый файл не больше", "PDF, JPEG or PNG, each file at most"]),
    ("apply.submit", ["Жалғастыру: қол қоюға", "Продолжить: к подписанию", "Continue to signing"]),
    ("cabinet.title", ["Менің өтініштерім", "Мои заявления", "My applications"]),
    ("cabinet.empty", ["Өтініштер әзірге жоқ.", "Заявлений пока нет.", "No applications yet."]),
    ("cabinet.number", ["Нөмірі", "Номер", "Number"]),
    ("cabinet.service", ["Қызмет", "Услуга", "Service"]),
    ("cabinet.channel", ["Арна", "Канал", "Channel"]),
    ("cabinet.status", ["Күйі", "Статус", "Status"]),
    ("cabinet.due", ["Мерзімі", "Срок", "Due"]),
    ("cabinet.withdrawn", ["Өтініш кері қайтарылды.", "Заявление отозвано.", "The application was withdrawn."]),
    ("app.back", ["Барлық өтініштер", "Все заявления", "All applications"]),
    ("app.title", ["Өтініш", "Заявление", "Application"]),
    ("app.status", ["Күйі", "Статус", "Status"]),
    ("app.step", ["Қазіргі қадам", "Текущий шаг", "Current step"]),
    ("app.due", ["мерзімі", "срок", "due"]),
    ("app.started", ["басталды", "начат", "started"]),
    ("app.completed", ["аяқталды", "завершён", "completed"]),
    ("app.overdue", ["мерзімі өтті", "просрочен", "overdue"]),
    ("app.timeline", ["Қадамдар", "Ход рассмотрения", "Timeline"]),
    ("app.result", ["Нәтиже", "Результат", "Result"]),
    ("app.receipt", ["Қолхат", "Расписка", "Receipt"]),
    ("app.download", ["PDF жүктеп алу", "Скачать PDF", "Download PDF"]),
    ("app.documents", ["Тіркелген құжаттар", "Приложенные документы", "Attached documents"]),
    ("app.withdraw", ["Өтінішті кері қайтару", "Отозвать заявление", "Withdraw the application"]),
    ("sign.title", ["ЭЦҚ-мен қол қою", "Подписание ЭЦП", "Sign with your EDS"]),
    ("sign.lead", ["Өтініш жоба ретінде сақталды. Ол қол қойылғаннан кейін ғана көрсетілетін қызметті берушіге жіберіледі.", "Заявление сохранено как черновик. Услугодателю оно уйдёт только после подписания.", "The application is kept as a draft. It goes to the provider only once signed."]),
    ("sign.download", ["Қол қоятын байттарды жүктеп алу", "Скачать байты для подписи", "Download the bytes to sign"]),
    ("sign.no-bytes", ["Қол қоятын байттар әлі дайын емес.", "Байты для подписи пока не готовы.", "The bytes to sign are not ready yet."]),
    ("sign.upload", ["Қолтаңба файлы (.p7s)", "Файл подписи (.p7s)", "Signature file (.p7s)"]),
    ("sign.submit", ["Қолтаңбаны жіберу", "Отправить подпись", "Send the signature"]),
    ("sign.ncalayer", ["NCALayer арқылы қол қою", "Подписать через NCALayer", "Sign with NCALayer"]),
    ("sign.done", ["Өтінішке қол қойылды және жіберілді.", "Заявление подписано и отправлено.", "The application was signed and sent."]),
    ("nav.work", ["Жұмыс кеңістігі", "Рабочее место", "Workspace"]),
    ("nav.intake", ["Қағаз өтінішті қабылдау", "Приём бумажного заявления", "Take a paper application"]),
    ("work.clerk.title", ["Кеңсе: кіріс хат-хабар", "Канцелярия: входящая корреспонденция", "Office: incoming correspondence"]),
    ("work.clerk.lead", ["Тіркеуге және нәтиже беруге келген өтініштер, мерзімі бойынша.", "Заявления на регистрацию и выдачу результата, по сроку.", "Applications to register and results to issue, by deadline."]),
    ("work.head.title", ["Басшының кіріс құжаттары", "Входящие руководителя", "Head's inbox"]),
    ("work.head.lead", ["Бұрыштама қоюға және қол қоюға келген өтініштер, мерзімі бойынша.", "Заявления на резолюцию и на подпись, по сроку.", "Applications awaiting a resolution or a signature, by deadline."]),
    ("work.specialist.title", ["Менің жұмыс тізімім", "Мой список работ", "My worklist"]),
    ("work.specialist.lead", ["Маған жүктелген өтініштер: алдымен мерзімі өткендері, сосын мерзімі бойынша.", "Поручённые мне заявления: сначала просроченные, затем по сроку.", "Applications assigned to me: overdue first, then by deadline."]),
    ("work.queue", ["Кезек", "Очередь", "Queue"]),
    ("work.empty", ["Әзірге ештеңе жоқ.", "Пока ничего нет.", "Nothing here yet."]),
    ("work.applicant", ["Өтініш беруші", "Заявитель", "Applicant"]),
    ("work.representative", ["Өкіл", "Представитель", "Representative"]),
    ("work.poa", ["сенімхат", "доверенность", "power of attorney"]),
    ("work.next-page", ["Келесі бет", "Следующая страница", "Next page"]),
    ("work.journal", ["Кіріс хат-хабар журналы", "Журнал входящей корреспонденции", "Journal of incoming correspondence"]),
    ("work.received", ["Қабылданған уақыты", "Поступило", "Received"]),
    ("work.done", ["Әрекет тіркелді, өтініш", "Действие записано, заявление", "Done: application"]),
    ("work.back", ["Жұмыс кеңістігіне оралу", "Вернуться на рабочее место", "Back to the workspace"]),
    ("work.intake.title", ["Қағаз өтінішті қабылдау", "Приём бумажного заявления", "Take a paper application"]),
    ("work.intake.start", ["Қағаз өтінішті қабылдау", "Принять бумажное заявление", "Take a paper application"]),
    ("work.intake.choose", ["Қызметті таңдаңыз.", "Выберите услугу.", "Choose the service."]),
    ("work.intake.other", ["Басқа қызмет", "Другая услуга", "Another service"]),
    ("work.intake.iin", ["Өтініш берушінің ЖСН-і", "ИИН заявителя", "Applicant's IIN"]),
    ("work.intake.name", ["Өтініш берушінің тегі, аты, әкесінің аты", "ФИО заявителя", "Applicant's full name"]),
    ("work.intake.language", ["Құжаттар тілі", "Язык документов", "Language of the documents"]),
    ("work.intake.documents", ["Ұсынылған құжаттар", "Представленные документы", "Documents presented"]),
    ("work.intake.documents-hint", ["Өтініш беруші әкелген түпнұсқаларды белгілеңіз. Толық емес топтама регламент бойынша қабылдаудан бас тартуға әкелуі мүмкін; қолхат кез келген жағдайда беріледі.", "Отметьте подлинники, которые принёс заявитель. Неполный пакет может по регламенту повлечь отказ в приёме; расписка выдаётся в любом случае.", "Tick the originals the applicant brought. An incomplete package may, by the regulation, be refused at intake; a receipt is given either way."]),
    ("work.intake.submit", ["Қабылдау және қолхат беру", "Принять и выдать расписку", "Take it in and give the receipt"]),
    ("work.intake.done", ["Өтініш қабылданды. Қолхатты басып шығарып, өтініш берушіге беріңіз.", "Заявление принято. Распечатайте расписку и выдайте заявителю.", "The application was taken in. Print the receipt and hand it to the applicant."]),
    ("work.receipt", ["Қолхат (PDF, басып шығару үшін)", "Расписка (PDF, для печати)", "Receipt (PDF, to print)"]),
    ("work.paused-until", ["Тоқтатылған мерзім соңы", "Приостановлено до", "Paused until"]),
    ("work.refusal", ["Бас тарту негіздері", "Основания отказа", "Grounds of the refusal"]),
    ("work.actions", ["Әрекеттер", "Действия", "Actions"]),
    ("work.complete", ["Қадамды аяқтау", "Завершить шаг", "Complete the step"]),
    ("work.complete.register", ["Тіркеу және басшыға жіберу", "Зарегистрировать и направить руководителю", "Register and send to the head"]),
    ("work.complete.resolution", ["Бұрыштама қою: маманға жіберу", "Наложить резолюцию: направить специалисту", "Resolve: send to the specialist"]),
    ("work.complete.review", ["Қарауды аяқтау: нәтиже жобасын жасау", "Завершить рассмотрение: подготовить проект результата", "Complete the review: draft the result"]),
    ("work.complete.sign", ["Сервердегі кілтпен қол қою", "Подписать ключом на сервере", "Sign with the server-held key"]),
    ("work.complete.issue", ["Нәтижені беру", "Выдать результат", "Issue the result"]),
    ("work.resolution", ["Бұрыштама", "Резолюция", "Resolution"]),
    ("work.assignee", ["Жауапты маман", "Ответственный специалист", "Responsible specialist"]),
    ("work.sign.title", ["Нәтижені қарау және қол қою", "Проверка и подписание результата", "Review and sign the result"]),
    ("work.sign.draft", ["Нәтиже жобасын ашу (PDF)", "Открыть проект результата (PDF)", "Open the drafted result (PDF)"]),
    ("work.sign.server-hint", ["Демо режимде басшының кілті серверде сақталады.", "В демонстрационном режиме ключ руководителя хранится на сервере.", "In demo mode the head's key is held by the server."]),
    ("work.sign.own", ["Өз қолтаңбамды жіберу", "Отправить свою подпись", "Send my own signature"]),
    ("work.sign.own-hint", ["Жоба PDF-інің байттарына ажыратылған CMS қолтаңбасы (.p7s), мысалы pki sign арқылы.", "Отсоединённая подпись CMS (.p7s) над байтами PDF проекта, например из pki sign.", "A detached CMS signature (.p7s) over the draft PDF's bytes, for example from pki sign."]),
    ("work.issue.result", ["Нәтиже (PDF)", "Результат (PDF)", "The result (PDF)"]),
    ("work.refuse", ["Дәлелді бас тарту жобасын жасау", "Подготовить мотивированный отказ", "Draft a motivated refusal"]),
    ("work.refuse.grounds", ["Бас тарту негіздері (регламент бойынша)", "Основания отказа (по регламенту)", "Grounds for refusal (from the regulation)"]),
    ("work.refuse.reason", ["Дәлелдеме", "Мотивировка", "Reasons"]),
    ("work.pause", ["Құжаттарды күтіп, тоқтата тұру", "Приостановить до получения документов", "Pause for documents"]),
    ("work.pause.comment", ["Қандай құжаттар күтіледі", "Какие документы ожидаются", "Which documents are awaited"]),
    ("work.pause.hint", ["Мерзім тоқтайды; 30 күнтізбелік күннен кейін өздігінен жалғасады.", "Срок останавливается; через 30 календарных дней возобновляется сам.", "The clock stops; it restarts by itself after 30 calendar days."]),
    ("work.resume", ["Қайта жалғастыру", "Возобновить", "Resume"]),
    ("work.return", ["Алдыңғы қадамға қайтару", "Вернуть на предыдущий шаг", "Return to the previous step"]),
    ("work.return.comment", ["Түсініктеме", "Комментарий", "Comment"]),
    ("work.withdraw.hint", ["Өтініш берушінің жазбаша кері қайтару өтініші бойынша.", "По письменному заявлению заявителя об отзыве.", "On the applicant's written request to withdraw."]),
    ("work.documents", ["Құжаттар: ұсынылғаны және стандарттың 9-тармағы", "Документы: представленные и пункт 9 стандарта", "Documents: presented against item 9"]),
    ("work.document", ["Құжат", "Документ", "Document"]),
    ("work.presented", ["Ұсынылды ма", "Представлен", "Presented"]),
    ("work.presented.yes", ["ұсынылды", "представлен", "presented"]),
    ("work.presented.no", ["ұсынылмады", "не представлен", "not presented"]),
    ("work.form", ["Өтініш деректері", "Данные заявления", "Application data"]),
    ("role.clerk", ["кеңсе қызметкері", "сотрудник канцелярии", "office clerk"]),
    ("role.head", ["басшы", "руководитель", "head"]),
    ("role.specialist", ["жауапты маман", "ответственный специалист", "responsible specialist"]),
    ("role.operator", ["Мемлекеттік корпорация қызметкері", "работник Государственной корпорации", "State Corporation operator"]),
    ("role.admin", ["әкімші", "администратор", "administrator"]),
    ("role.auditor", ["аудитор", "аудитор", "auditor"]),
    ("role.applicant", ["өтініш беруші", "заявитель", "applicant"]),
    ("channel.office", ["кеңсе", "канцелярия", "office"]),
    ("channel.state-corporation", ["Мемлекеттік корпорация", "Государственная корпорация", "State Corporation"]),
    ("channel.portal", ["портал", "портал", "portal"]),
    ("step.register", ["Тіркеу", "Регистрация", "Registration"]),
    ("step.resolution", ["Бұрыштама", "Резолюция", "Resolution"]),
    ("step.review", ["Қарау", "Рассмотрение", "Review"]),
    ("step.sign", ["Қол қою", "Подписание", "Signing"]),
    ("step.issue", ["Беру", "Выдача", "Issue"]),
    ("status.draft", ["жоба", "черновик", "draft"]),
    ("status.in-progress", ["қаралуда", "на рассмотрении", "in progress"]),
    ("status.paused", ["тоқтатылды", "приостановлено", "paused"]),
    ("status.completed", ["аяқталды", "завершено", "completed"]),
    ("status.rejected-at-intake", ["қабылдаудан бас тартылды", "отказано в приёме", "refused at intake"]),
    ("status.withdrawn", ["кері қайтарылды", "отозвано", "withdrawn"]),
    ("result.approval", ["оң шешім", "положительное решение", "approval"]),
    ("result.refusal", ["дәлелді бас тарту", "мотивированный отказ", "motivated refusal"]),
    ("field.children", ["Бала", "Ребёнок", "Child"]),
    ("field.child", ["Бала", "Ребёнок", "Child"]),
    ("field.iin", ["ЖСН", "ИИН", "IIN"]),
    ("field.name", ["Тегі, аты, әкесінің аты", "Фамилия, имя, отчество", "Full name"]),
    ("field.birth_date", ["Туған күні", "Дата рождения", "Date of birth"]),
    ("field.court_decision", ["Сот шешімі", "Решение суда", "Court decision"]),
    ("field.number", ["Нөмірі", "Номер", "Number"]),
    ("field.date", ["Күні", "Дата", "Date"]),
    ("field.bank_account", ["Банк шоты", "Банковский счёт", "Bank account"]),
    ("field.iban", ["IBAN шот нөмірі", "Номер счёта IBAN", "IBAN"]),
    ("field.bank", ["Банк", "Банк", "Bank"]),
    ("field.meeting", ["Кездесу", "Встреча", "Meeting"]),
    ("field.preferred_date", ["Қалаған күні", "Желаемая дата", "Preferred date"]),
    ("field.place", ["Орны", "Место", "Place"]),
    ("field.reason", ["Себебі", "Причина", "Reason"]),
    ("field.patronage_contract", ["Патронат тәрбие туралы шарт", "Договор о патронатном воспитании", "Foster-care contract"]),
];

/// The text of `key` in `lang`. An unknown key shows itself (and fails the
/// tests), never an empty string.
pub fn t(lang: Lang, key: &str) -> &'static str {
    let i = match lang {
        Lang::Kk => 0,
        Lang::Ru => 1,
        Lang::En => 2,
    };
    match TEXTS.iter().find(|(k, _)| *k == key) {
        Some((_, texts)) => texts[i],
        None => {
            tracing::warn!(key, "page text missing");
            "?"
        }
    }
}

/// A language's own name, for the switch.
pub fn language_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Kk => "Қазақша",
        Lang::Ru => "Русский",
        Lang::En => "English",
    }
}

#[cfg(test)]
mod tests {
    use super::TEXTS;
    use std::collections::BTreeSet;

    fn keys() -> BTreeSet<&'static str> {
        TEXTS.iter().map(|(k, _)| *k).collect()
    }

    #[test]
    fn keys_are_unique_and_every_language_is_filled() {
        assert_eq!(keys().len(), TEXTS.len(), "a key is repeated");
        for (k, texts) in TEXTS {
            for t in texts {
                assert!(!t.trim().is_empty(), "{k} lacks a language");
            }
        }
    }

    /// Every `t("…")` of the templates and the pages' code, and the
    /// literal keys the code picks from, are in the table.
    #[test]
    fn every_key_used_is_translated() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = BTreeSet::new();
        let dirs = [root.join("templates"), root.join("src/pages")];
        for dir in dirs {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, _) in text.match_indices('"') {
                    let rest = &text[i + 1..];
                    let Some(end) = rest.find('"') else { continue };
                    let cand = &rest[..end];
                    let looks_like_key = cand.contains('.')
                        && !cand.ends_with(".html")
                        && !cand.contains(' ')
                        && cand.split('.').next().is_some_and(|p| {
                            [
                                "site", "layout", "nav", "error", "catalog", "service", "limit",
                                "doc", "ground", "login", "register", "password", "form", "apply",
                                "cabinet", "app", "sign", "work",
                            ]
                            .contains(&p)
                        })
                        && cand.split('.').nth(1).is_some_and(|s| !s.is_empty());
                    if looks_like_key {
                        used.insert(cand.to_owned());
                    }
                }
            }
        }
        let known = keys();
        let missing: Vec<_> = used
            .iter()
            .filter(|k| !known.contains(k.as_str()))
            .collect();
        assert!(missing.is_empty(), "untranslated keys: {missing:?}");
        assert!(
            used.len() > 100,
            "the scan found too few keys: {}",
            used.len()
        );
    }

    /// Keys made at run time: roles, channels, steps, statuses, results.
    #[test]
    fn every_code_shown_is_translated() {
        use qyzmet_domain::{Channel, Role};
        let known = keys();
        for r in Role::ALL {
            assert!(known.contains(format!("role.{}", r.code()).as_str()), "{r}");
        }
        for c in Channel::ALL {
            assert!(
                known.contains(format!("channel.{}", c.code()).as_str()),
                "{c}"
            );
        }
        for s in qyzmet_domain::catalog::StepCode::ALL {
            assert!(known.contains(format!("step.{}", s.code()).as_str()), "{s}");
        }
        for s in [
            "draft",
            "in-progress",
            "paused",
            "completed",
            "rejected-at-intake",
            "withdrawn",
        ] {
            assert!(known.contains(format!("status.{s}").as_str()), "{s}");
        }
        for k in ["approval", "refusal"] {
            assert!(known.contains(format!("result.{k}").as_str()), "{k}");
        }
    }

    /// Every property of every catalog form has a label.
    #[test]
    fn every_form_field_has_a_label() {
        fn walk(s: &serde_json::Value, out: &mut BTreeSet<String>) {
            if let Some(p) = s.get("properties").and_then(|p| p.as_object()) {
                for (k, v) in p {
                    out.insert(k.clone());
                    walk(v, out);
                }
            }
            if let Some(i) = s.get("items") {
                walk(i, out);
            }
            if let Some(d) = s.get("$defs").and_then(|p| p.as_object()) {
                for v in d.values() {
                    walk(v, out);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog");
        let mut fields = BTreeSet::new();
        for dir in std::fs::read_dir(&root).unwrap() {
            let dir = dir.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(&dir).unwrap() {
                let f = f.unwrap().path();
                if f.to_string_lossy().ends_with(".schema.json") {
                    let v: serde_json::Value =
                        serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
                    walk(&v, &mut fields);
                }
            }
        }
        assert!(!fields.is_empty());
        let known = keys();
        for f in fields {
            assert!(
                known.contains(format!("field.{f}").as_str()),
                "field {f} has no label"
            );
        }
    }
}
