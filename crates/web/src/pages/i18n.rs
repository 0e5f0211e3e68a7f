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
    ("verify.title", ["Құжатты тексеру", "Проверка документа", "Check a document"]),
    ("verify.genuine", ["Бұл құжатты Qyzmet берген, ол түпнұсқа.", "Этот документ выдан Qyzmet и подлинный.", "This document was issued by Qyzmet and is genuine."]),
    ("verify.superseded", ["Құжат күшін жойды: қол қойылғаннан кейін өтініш қайтарылды, оның орнына жаңа нәтиже беріледі.", "Документ утратил силу: после подписания заявление было возвращено, его заменит новый результат.", "This document no longer stands: the application was returned after it was signed, and a new result replaces it."]),
    ("verify.altered", ["Сақталған құжат өзгертілген: оған сенуге болмайды.", "Хранимый документ изменён: ему нельзя доверять.", "The stored document was altered: do not rely on it."]),
    ("verify.unknown", ["Бұл код бойынша құжат табылмады.", "Документ с таким кодом не найден.", "No document has this code."]),
    ("verify.kind", ["Түрі", "Вид", "Kind"]),
    ("verify.number", ["Нөмірі", "Номер", "Number"]),
    ("verify.date", ["Күні", "Дата", "Date"]),
    ("verify.issuer", ["Берген", "Выдал", "Issued by"]),
    ("verify.check-file", ["Қолыңыздағы PDF файлы дәл осы құжат па? Файлды таңдап, тексеріңіз:", "Тот ли это документ, что у вас в PDF? Выберите файл и проверьте:", "Is the PDF you hold this very document? Choose the file and check:"]),
    ("verify.check", ["Тексеру", "Проверить", "Check"]),
    ("verify.matches", ["Файл осы құжатпен бірдей.", "Файл совпадает с этим документом.", "The file is this document."]),
    ("verify.differs", ["Файл осы құжатпен сәйкес келмейді.", "Файл не совпадает с этим документом.", "The file is not this document."]),
    ("verify.no-file", ["PDF файлын таңдаңыз.", "Выберите PDF-файл.", "Choose a PDF file."]),
    ("verify.too-many", ["Тым көп сұрау. Бір минуттан кейін қайталаңыз.", "Слишком много запросов. Повторите через минуту.", "Too many lookups. Try again in a minute."]),
    ("verify.kind-approval", ["нәтиже (оң)", "результат (положительный)", "result (approval)"]),
    ("verify.kind-refusal", ["дәлелді бас тарту", "мотивированный отказ", "motivated refusal"]),
    ("verify.kind-receipt", ["қолхат", "расписка", "receipt"]),
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
    ("service.not-on-portal", ["Бұл қызмет порталда көрсетілмейді: өтініш пен құжаттарды өзіңіз тапсырасыз. Қайда:", "Эта услуга не оказывается на портале: заявление и документы подаются лично. Где:", "This service is not offered on the portal: the application and documents are handed in in person. Where:"]),
    ("service.history", ["Құқықтық актілер тарихы", "История правовых актов", "Legal history"]),
    ("service.versions", ["Регламент нұсқалары", "Версии регламента", "Versions of the regulation"]),
    ("service.full-text", ["Регламенттің толық мәтіні", "Полный текст регламента", "Full text of the regulation"]),
    ("limit.minutes.one", ["жұмыс минуты", "рабочая минута", "working minute"]),
    ("limit.minutes.few", ["жұмыс минуты", "рабочие минуты", "working minutes"]),
    ("limit.minutes.many", ["жұмыс минуты", "рабочих минут", "working minutes"]),
    ("limit.working-days.one", ["жұмыс күні", "рабочий день", "working day"]),
    ("limit.working-days.few", ["жұмыс күні", "рабочих дня", "working days"]),
    ("limit.working-days.many", ["жұмыс күні", "рабочих дней", "working days"]),
    ("limit.calendar-days.one", ["күнтізбелік күн", "календарный день", "calendar day"]),
    ("limit.calendar-days.few", ["күнтізбелік күн", "календарных дня", "calendar days"]),
    ("limit.calendar-days.many", ["күнтізбелік күн", "календарных дней", "calendar days"]),
    ("doc.required", ["міндетті", "обязательно", "required"]),
    ("doc.optional", ["міндетті емес", "необязательно", "optional"]),
    ("form.already-sent", ["Бұл нысан бұрын басқа деректермен жіберілген, сол өтініш сақталды. Тағы бір, жаңа өтініш керек болса, нысанды қайта жіберіңіз.", "Эта форма уже была отправлена с другими данными, и то заявление сохранено. Если нужно ещё одно, новое заявление, отправьте форму снова.", "This form was already sent with other details, and that application is kept. To make another, new application, send the form again."]),
    ("doc.attach", ["Бұл құжатты тіркеңіз.", "Приложите этот документ.", "Attach this document."]),
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
    ("form.date-future", ["Бұл күн бүгіннен кейін болмауы керек.", "Дата не может быть позже сегодняшней.", "The date cannot be later than today."]),
    ("form.date-past", ["Бұл күн бүгіннен бұрын болмауы керек.", "Дата не может быть раньше сегодняшней.", "The date cannot be earlier than today."]),
    ("form.birth-date-iin", ["Туған күн ЖСН-дағы күнге сәйкес келмейді:", "Дата рождения не совпадает с датой в ИИН:", "The birth date differs from the one in the IIN:"]),
    ("form.date", ["Күнді ЖЖЖЖ-АА-КК түрінде енгізіңіз.", "Введите дату в виде ГГГГ-ММ-ДД.", "Enter the date as YYYY-MM-DD."]),
    ("form.iin", ["ЖСН дұрыс емес: 12 цифр және бақылау цифры.", "ИИН неверен: 12 цифр с контрольной цифрой.", "The IIN is not valid: 12 digits with a check digit."]),
    ("form.pattern", ["Мән талап етілген пішімге сәйкес емес.", "Значение не соответствует требуемому формату.", "The value does not have the required format."]),
    ("form.invalid", ["Мән қабылданбады.", "Значение не принято.", "The value was not accepted."]),
    ("form.optional", ["міндетті емес", "необязательно", "optional"]),
    ("form.add-row", ["Тағы қосу", "Добавить ещё", "Add another"]),
    ("form.iin-hint", ["12 цифр.", "12 цифр.", "12 digits."]),
    ("form.iban-hint", ["KZ және 18 таңба; бос орындарды қалдыруға болады.", "KZ и 18 знаков; пробелы можно оставить.", "KZ and 18 characters; spaces may be kept."]),
    ("form.iban-shape", ["IBAN KZ-тен басталып, тағы 18 әріп не цифрдан тұрады: барлығы 20 таңба.", "IBAN начинается с KZ, за которым 18 букв или цифр: всего 20 знаков.", "An IBAN starts with KZ followed by 18 letters or digits: 20 characters in all."]),
    ("form.iban-check", ["IBAN бақылау цифрлары сәйкес келмейді: шот нөмірін банк деректемелерімен салыстырыңыз.", "Контрольные цифры IBAN не сходятся: сверьте номер счёта с реквизитами банка.", "The IBAN's check digits do not match: compare the account number with your bank's details."]),
    ("apply.lead", ["Өтінішті толтырып, құжаттардың электрондық көшірмелерін тіркеңіз. Содан кейін оған ЭЦҚ-мен қол қоясыз.", "Заполните заявление и приложите электронные копии документов. Затем вы подпишете его ЭЦП.", "Fill in the application and attach electronic copies of the documents. Then you sign it with your EDS."]),
    ("apply.behalf", ["Басқа адамның атынан (сенімхат бойынша)", "От имени другого лица (по доверенности)", "On behalf of another person (power of attorney)"]),
    ("apply.behalf-hint", ["Басқа адамның атынан сенімхат бойынша өтініш берсеңіз, оның ЖСН-ін және сенімхаттың нөмірі мен күнін енгізіңіз: сенімхат нотариаттық жүйеде тексеріледі, адамның тегі, аты, әкесінің аты жеке тұлғалар дерекқорынан алынады, сіз оның өкілі боласыз және өтінішке өзіңіздің ЭЦҚ-ңызбен қол қоясыз. Өз атыңыздан өтініш берсеңіз, бұл өрістерді бос қалдырыңыз.", "Если вы подаёте заявление от имени другого лица по доверенности, укажите его ИИН, номер и дату доверенности: доверенность проверяется в нотариальной системе, ФИО заявителя берётся из базы данных физических лиц, вы будете его представителем и подпишете заявление своей ЭЦП. Если вы подаёте от своего имени, оставьте эти поля пустыми.", "If you apply on behalf of another person under a power of attorney, enter their IIN and the power of attorney's number and date: the power of attorney is checked in the notary system, their full name comes from the individuals database, and you are their representative and sign the application with your own EDS. When you apply for yourself, leave these fields empty."]),
    ("apply.for-iin", ["Өтініш берушінің ЖСН-і", "ИИН заявителя", "The applicant's IIN"]),
    ("apply.for-self", ["Бұл сіздің өз ЖСН-іңіз; өз атыңыздан өтініш берсеңіз, бұл өрістерді бос қалдырыңыз.", "Это ваш собственный ИИН; если вы подаёте от своего имени, оставьте эти поля пустыми.", "This is your own IIN; when you apply for yourself, leave these fields empty."]),
    ("apply.poa-other-attorney", ["Нотариаттық жүйеде бұл сенімхат сізге емес, басқа адамға берілген.", "В нотариальной системе эта доверенность выдана не вам, а другому лицу.", "In the notary system this power of attorney is given to someone else, not to you."]),
    ("apply.poa-other-date", ["Нотариаттық жүйеде бұл сенімхаттың күні басқа: сенімхаттағы күнді тексеріңіз.", "В нотариальной системе у этой доверенности другая дата: проверьте дату на доверенности.", "In the notary system this power of attorney has another date: check the date on it."]),
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
    ("cabinet.whose", ["Кімнің өтініші", "Чьё заявление", "Whose"]),
    ("cabinet.you", ["Өзіңіздің", "Ваше", "Yours"]),
    ("cabinet.you-represented", ["Өзіңіздің, өкіл арқылы", "Ваше, через представителя", "Yours, through a representative"]),
    ("cabinet.you-represent", ["сіз өкілісіз", "вы представитель", "you represent them"]),
    ("cabinet.withdrawn", ["Өтініш кері қайтарып алынды.", "Заявление отозвано.", "The application was withdrawn."]),
    ("app.back", ["Барлық өтініштер", "Все заявления", "All applications"]),
    ("app.title", ["Өтініш", "Заявление", "Application"]),
    ("app.status", ["Күйі", "Статус", "Status"]),
    ("app.step", ["Қазіргі қадам", "Текущий шаг", "Current step"]),
    ("app.due", ["мерзімі", "срок", "due"]),
    ("app.started", ["басталды", "начало", "started"]),
    ("app.completed", ["аяқталды", "завершение", "completed"]),
    ("app.overdue", ["мерзімі өтті", "просрочен", "overdue"]),
    ("app.timeline", ["Қадамдар", "Ход рассмотрения", "Timeline"]),
    ("app.result", ["Нәтиже", "Результат", "Result"]),
    ("app.receipt", ["Қолхат", "Расписка", "Receipt"]),
    ("app.download", ["PDF жүктеп алу", "Скачать PDF", "Download PDF"]),
    ("app.form", ["Өтініш деректері", "Данные заявления", "Application data"]),
    ("app.documents", ["Тіркелген құжаттар", "Приложенные документы", "Attached documents"]),
    ("app.you", ["сіз", "вы", "you"]),
    ("app.withdraw-confirm", ["Кері қайтарып алынған өтінішті қалпына келтіруге болмайтынын түсінемін.", "Я понимаю, что отозванное заявление нельзя восстановить.", "I understand that a withdrawn application cannot be restored."]),
    ("app.withdraw", ["Өтінішті кері қайтарып алу", "Отозвать заявление", "Withdraw the application"]),
    ("sign.title", ["ЭЦҚ-мен қол қою", "Подписание ЭЦП", "Sign with your EDS"]),
    ("sign.lead", ["Өтініш жоба ретінде сақталды. Ол қол қойылғаннан кейін ғана көрсетілетін қызметті берушіге жіберіледі.", "Заявление сохранено как черновик. Услугодателю оно уйдёт только после подписания.", "The application is kept as a draft. It goes to the provider only once signed."]),
    ("sign.as-representative", ["Сіз өтініш берушінің өкілі ретінде сенімхат бойынша өзіңіздің ЭЦҚ-ңызбен қол қоясыз.", "Вы подписываете как представитель заявителя по доверенности, своей ЭЦП.", "You sign as the applicant's representative under the power of attorney, with your own EDS."]),
    ("sign.made-by-representative", ["Бұл өтініште сіздің сенімхат бойынша өкіліңіз көрсетілген. Оған өзіңіз де, өкіліңіз де өз ЭЦҚ-сымен қол қоя алады.", "В этом заявлении указан ваш представитель по доверенности. Подписать его своей ЭЦП можете вы или представитель.", "This application names your representative under a power of attorney. You or the representative may sign it, each with their own EDS."]),
    ("sign.download", ["Қол қоятын файлды жүктеп алу (басқа бағдарламамен қол қою үшін)", "Скачать файл для подписи (чтобы подписать другой программой)", "Download the file to sign (to sign it with another program)"]),
    ("sign.no-bytes", ["Қол қоятын байттар әлі дайын емес.", "Байты для подписи пока не готовы.", "The bytes to sign are not ready yet."]),
    ("sign.upload", ["Қолтаңба файлы (.p7s)", "Файл подписи (.p7s)", "Signature file (.p7s)"]),
    ("sign.submit", ["Қолтаңбаны жіберу", "Отправить подпись", "Send the signature"]),
    ("sign.ncalayer", ["NCALayer арқылы қол қою", "Подписать через NCALayer", "Sign with NCALayer"]),
    ("sign.ncalayer-waiting", ["NCALayer терезесінде кілтті таңдап, қол қойыңыз…", "Выберите ключ и подпишите в окне NCALayer…", "Choose your key and sign in the NCALayer window…"]),
    ("sign.ncalayer-cancelled", ["Қол қою тоқтатылды. Қайта көруге немесе .p7s файлын жүктеуге болады.", "Подписание отменено. Можно попробовать снова или загрузить файл .p7s.", "Signing was cancelled. Try again or upload a .p7s file."]),
    ("sign.ncalayer-failed", ["NCALayer қол қоя алмады. .p7s файлын жүктеуге болады.", "NCALayer не смог подписать. Можно загрузить файл .p7s.", "NCALayer could not sign. You can upload a .p7s file instead."]),
    ("sign.ncalayer-sending", ["Қолтаңба жіберілуде…", "Подпись отправляется…", "Sending the signature…"]),
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
    ("sign.form-stale", ["Өтініштің кейбір деректері бүгінгі күнге сәйкес келмейді (мысалы, өтіп кеткен күн). Бұл жобаны кері қайтарып, өтінішті қайта беріңіз.", "Некоторые данные заявления больше не подходят на сегодняшний день (например, прошедшая дата). Отзовите этот черновик и подайте заявление заново.", "Some of the application's data no longer hold today (a date that has passed, say). Withdraw this draft and apply again."]),
    ("form.error-prefix", ["Қате:", "Ошибка:", "Error:"]),
    ("form.remove-row", ["Алып тастау", "Убрать", "Remove"]),
    ("work.overdue-count", ["Мерзімі өткендері:", "Просрочено:", "Overdue:"]),
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
    ("work.intake.representative-hint", ["Өтінішті сенімхат бойынша өкіл әкелсе, өкілдің ЖСН-ін және ол ұсынған сенімхаттың нөмірі мен күнін енгізіңіз. Өтініш берушінің өзі келсе, бұл өрістерді бос қалдырыңыз.", "Если заявление принёс представитель по доверенности, укажите его ИИН, номер и дату предъявленной доверенности. Если заявитель пришёл сам, оставьте эти поля пустыми.", "When a representative brings the application under a power of attorney, enter their IIN and the number and date of the power of attorney they show. When the applicant comes in person, leave these fields empty."]),
    ("work.intake.documents-hint", ["Өтініш беруші әкелген түпнұсқаларды белгілеңіз. Толық емес топтама регламент бойынша қабылдаудан бас тартуға әкелуі мүмкін; қолхат кез келген жағдайда беріледі.", "Отметьте подлинники, которые принёс заявитель. Неполный пакет может по регламенту повлечь отказ в приёме; расписка выдаётся в любом случае.", "Tick the originals the applicant brought. An incomplete package may, by the regulation, be refused at intake; a receipt is given either way."]),
    ("work.intake.submit", ["Қабылдау және қолхат беру", "Принять и выдать расписку", "Take it in and give the receipt"]),
    ("work.intake.refused", ["Құжаттар топтамасы толық емес, сондықтан регламент бойынша өтінішті қабылдаудан бас тартылды. Бас тарту туралы қолхатты басып шығарып, өтініш берушіге беріңіз.", "Пакет документов неполный, и по регламенту в приёме заявления отказано. Распечатайте расписку об отказе и выдайте заявителю.", "The package is incomplete, so the regulation refuses to accept the application. Print the receipt of refusal and hand it to the applicant."]),
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
    ("work.sign.own-hint", ["Нәтиже жобасының PDF файлына өз ЭЦҚ-ңызбен жеке файл ретінде қол қойыңыз (.p7s) және оны осында жүктеңіз; NCALayer бар болса, төмендегі батырманы басыңыз.", "Подпишите PDF проекта результата своей ЭЦП отдельным файлом подписи (.p7s) и загрузите его сюда; если установлен NCALayer, нажмите кнопку ниже.", "Sign the draft result's PDF with your own EDS as a separate signature file (.p7s) and upload it here; with NCALayer installed, press the button below."]),
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
    ("work.withdraw.confirm", ["Өтініш берушінің өтінішті кері қайтарып алу туралы жазбаша арызы бар; мұны болдырмау мүмкін емес.", "Есть письменное заявление заявителя об отзыве; отзыв нельзя отменить.", "The applicant has asked in writing to withdraw; a withdrawal cannot be undone."]),
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
    ("status.withdrawn", ["кері қайтарып алынды", "отозвано", "withdrawn"]),
    ("result.approval", ["оң шешім", "положительное решение", "approval"]),
    ("result.refusal", ["дәлелді бас тарту", "мотивированный отказ", "motivated refusal"]),
    ("field.children", ["Бала", "Ребёнок", "Child"]),
    ("field.child", ["Бала", "Ребёнок", "Child"]),
    // The State Corporation operator's workstation (pages/operator.rs).
    ("nav.operator", ["Операторның жұмыс орны", "Рабочее место оператора", "Operator's workstation"]),
    ("operator.title", ["Мемлекеттік корпорация операторының жұмыс орны", "Рабочее место оператора Госкорпорации", "State Corporation operator's workstation"]),
    ("operator.lead", ["Қызметті таңдаңыз: өтініш берушінің деректері жеке тұлғалар дерекқорынан алынады, пакет шлюз арқылы көрсетілетін қызметті берушіге жіберіледі.", "Выберите услугу: данные заявителя берутся из базы данных физических лиц, пакет уходит услугодателю через шлюз.", "Pick the service: the applicant's data come from the individuals database and the package goes to the provider through the gateway."]),
    ("operator.new", ["Жаңа өтініш", "Новое заявление", "New application"]),
    ("operator.list", ["Мемлекеттік корпорация арқылы өтініштер", "Заявления через Госкорпорацию", "Applications through the State Corporation"]),
    ("operator.empty", ["Өтініштер әзірге жоқ.", "Заявлений пока нет.", "No applications yet."]),
    ("operator.applicant", ["Өтініш беруші", "Заявитель", "Applicant"]),
    ("operator.back", ["Операторның жұмыс орнына оралу", "Назад на рабочее место оператора", "Back to the workstation"]),
    ("operator.intake-lead", ["Өтініш берушінің ЖСН-ын енгізіңіз: мемлекет білетін деректер қайта терілмейді.", "Введите ИИН заявителя: то, что известно государству, заново не вводится.", "Enter the applicant's IIN: what the state already holds is not typed again."]),
    ("operator.who", ["Кім өтініш береді", "Кто обращается", "Who applies"]),
    ("operator.applicant-iin", ["Өтініш берушінің ЖСН-і", "ИИН заявителя", "Applicant's IIN"]),
    ("operator.iin-hint", ["12 цифр", "12 цифр", "12 digits"]),
    ("operator.representative", ["Өкіл", "Представитель", "Representative"]),
    ("operator.rep-iin", ["Өкілдің ЖСН-і", "ИИН представителя", "Representative's IIN"]),
    ("operator.poa-number", ["Сенімхаттың нөмірі", "Номер доверенности", "Power of attorney number"]),
    ("operator.poa-date", ["Сенімхаттың күні", "Дата доверенности", "Power of attorney date"]),
    ("operator.poa-number-needed", ["Сенімхаттың нөмірін енгізіңіз (100 таңбаға дейін).", "Введите номер доверенности (до 100 знаков).", "Enter the power of attorney's number (up to 100 characters)."]),
    ("operator.poa-date-needed", ["Сенімхаттың күнін енгізіңіз.", "Введите дату доверенности.", "Enter the power of attorney's date."]),
    ("operator.look-up", ["Тізілімнен іздеу", "Найти в реестре", "Look up in the registry"]),
    ("operator.from-registry", ["Жеке тұлғалар дерекқорынан", "Из базы данных физических лиц", "From the individuals database"]),
    ("operator.name", ["Тегі, аты, әкесінің аты", "Фамилия, имя, отчество", "Full name"]),
    ("operator.iin", ["ЖСН", "ИИН", "IIN"]),
    ("operator.birth-date", ["Туған күні", "Дата рождения", "Date of birth"]),
    ("operator.sex", ["Жынысы", "Пол", "Sex"]),
    ("sex.male", ["ер", "мужской", "male"]),
    ("sex.female", ["әйел", "женский", "female"]),
    ("operator.citizenship", ["Азаматтығы", "Гражданство", "Citizenship"]),
    ("operator.address", ["Тіркелген мекенжайы", "Адрес регистрации", "Registered address"]),
    ("operator.documents", ["Жеке басын куәландыратын құжаттар", "Документы, удостоверяющие личность", "Identity documents"]),
    ("iddoc.id-card", ["Жеке куәлік", "Удостоверение личности", "Identity card"]),
    ("iddoc.passport", ["Төлқұжат", "Паспорт", "Passport"]),
    ("iddoc.birth-certificate", ["Туу туралы куәлік", "Свидетельство о рождении", "Birth certificate"]),
    ("operator.issued", ["берілген күні", "выдан", "issued"]),
    ("operator.deceased", ["Дерекқор бойынша өтініш беруші қайтыс болған: өтініш қабылданбайды.", "По базе данных заявитель умер: заявление не принимается.", "The database records the applicant as deceased: the application cannot be taken."]),
    ("operator.nothing-sent", ["Ештеңе сақталған жоқ және көрсетілетін қызметті берушіге жіберілген жоқ.", "Ничего не сохранено и не отправлено услугодателю.", "Nothing was stored or sent to the provider."]),
    ("operator.poa-title", ["Нотариаттық жүйедегі сенімхат", "Доверенность в нотариальной системе", "Power of attorney in the notary system"]),
    ("poa.valid", ["Жарамды", "Действительна", "Valid"]),
    ("poa.revoked", ["Кері қайтарылған", "Отозвана", "Revoked"]),
    ("poa.unknown", ["Нотариаттық жүйеде жоқ", "Не найдена в нотариальной системе", "Unknown to the notary system"]),
    ("poa.mismatch", ["Сенімхат басқа өкілге немесе басқа күнге берілген", "Доверенность выдана другому представителю или другой датой", "It names another representative or another date"]),
    ("poa.unavailable", ["Нотариаттық жүйе жауап бермеді, кейінірек қайталаңыз", "Нотариальная система не ответила, повторите позже", "The notary system did not answer; try again later"]),
    ("poa.invalid", ["Сенімхаттың деректері қате", "Данные доверенности неверны", "The power of attorney's details are invalid"]),
    ("operator.attorney", ["Өкіл ЖСН", "ИИН представителя", "Attorney's IIN"]),
    ("operator.form", ["Өтініш", "Заявление", "The application"]),
    ("operator.presented", ["Ұсынылған құжаттар", "Представленные документы", "Documents presented"]),
    ("operator.presented-hint", ["Өтініш беруші ұсынған түпнұсқаларды белгілеңіз. Міндетті құжат жетіспесе, 3-қосымша бойынша қолхат беріледі.", "Отметьте подлинники, которые представил заявитель. Если нет обязательного документа, выдаётся расписка по приложению 3.", "Tick the originals the applicant presented. When a required one is missing, the appendix 3 receipt is given."]),
    ("operator.submit", ["Қабылдау және жіберу", "Принять и отправить", "Take in and send"]),
    ("operator.refused-title", ["Құжаттарды қабылдаудан бас тарту", "Отказ в приёме документов", "Refusal to accept the documents"]),
    ("operator.refused-lead", ["Құжаттар топтамасы толық емес: өтініш берушіге қолхатты басып шығарып беріңіз. Пакет жіберілмеді. Жетіспейді:", "Пакет документов неполный: распечатайте и выдайте заявителю расписку. Пакет не отправлен. Не хватает:", "The package is incomplete: print the receipt and hand it to the applicant. Nothing was sent. Missing:"]),
    ("operator.receipt-pdf", ["Қолхат (PDF)", "Расписка (PDF)", "Receipt (PDF)"]),
    ("operator.issue-title", ["Нәтижені беру", "Выдача результата", "Issuing the result"]),
    ("operator.issue-lead", ["Нәтиже көрсетілетін қызметті берушіден келді: оны өтініш берушіге беріп, беруді белгілеңіз.", "Результат вернулся от услугодателя: выдайте его заявителю и отметьте выдачу.", "The result has come back from the provider: hand it to the applicant and record the issue."]),
    ("operator.result-pdf", ["Нәтиже (PDF)", "Результат (PDF)", "Result (PDF)"]),
    ("operator.issue", ["Нәтиже берілді", "Результат выдан", "Result issued"]),
    ("operator.on-its-way", ["Пакет көрсетілетін қызметті берушіге жіберілуде", "Пакет отправляется услугодателю", "The package is on its way to the provider"]),
    ("operator.registered", ["Пакет көрсетілетін қызметті берушіде тіркелді", "Пакет зарегистрирован у услугодателя", "The package was registered at the provider"]),
    ("operator.result-received", ["Нәтиже шлюз арқылы келді", "Результат поступил через шлюз", "The result came back through the gateway"]),
    ("operator.result-awaited", ["Нәтиже әлі келген жоқ: ол келгенде беруге болады", "Результат ещё не поступил: выдать можно после поступления", "The result has not arrived yet: it can be issued once it has"]),
    ("operator.issued-done", ["Нәтиже өтініш берушіге берілді.", "Результат выдан заявителю.", "The result was issued to the applicant."]),
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
    // Administration, audit and monitoring (pages/admin.rs, audit.rs, monitoring.rs).
    ("nav.admin", ["Әкімшілік", "Администрирование", "Administration"]),
    ("nav.audit", ["Аудит", "Аудит", "Audit"]),
    ("nav.monitoring", ["Мониторинг", "Мониторинг", "Monitoring"]),
    ("admin.nav", ["Әкімшілік бөлімдері", "Разделы администрирования", "Administration sections"]),
    ("admin.title", ["Әкімшілік", "Администрирование", "Administration"]),
    ("admin.lead", ["Тіркелгілер, жеткізушілер, регламент нұсқалары, жұмыс күнтізбесі және кезек. Әр өзгеріс аудитке жазылады.", "Учётные записи, поставщики, версии регламентов, рабочий календарь и очередь. Каждое изменение записывается в аудит.", "Accounts, providers, regulation versions, the working-day calendar and the outbox. Every change is written to the audit log."]),
    ("admin.lead-read", ["Сіз тек оқи аласыз: өзгертуді әкімші ғана жасайды.", "Вы можете только читать: изменения вносит администратор.", "You can read only: an administrator makes the changes."]),
    ("admin.recent", ["Соңғы өзгерістер", "Последние изменения", "Recent changes"]),
    ("admin.actions", ["Әрекеттер", "Действия", "Actions"]),
    ("admin.cancel", ["Болдырмау", "Отмена", "Cancel"]),
    ("admin.done.created", ["Тіркелгі құрылды.", "Учётная запись создана.", "The account was created."]),
    ("admin.done.disabled", ["Тіркелгі бұғатталды; оның сеанстары жабылды.", "Учётная запись отключена; её сеансы закрыты.", "The account was disabled; its sessions ended."]),
    ("admin.done.enabled", ["Тіркелгі қайта қосылды.", "Учётная запись снова включена.", "The account was enabled again."]),
    ("admin.done.password", ["Жаңа құпиясөз орнатылды; бұрынғы сеанстар жабылды.", "Новый пароль установлен; прежние сеансы закрыты.", "The new password was set; the old sessions ended."]),
    ("admin.done.ended", ["Регламент нұсқасының қолданылуы тоқтатылды.", "Действие версии регламента прекращено.", "The regulation version was ended."]),
    ("admin.done.retried", ["Тапсырма кезекке қайта қойылды.", "Задание снова поставлено в очередь.", "The job was queued again."]),
    ("admin.users.title", ["Пайдаланушылар мен рөлдер", "Пользователи и роли", "Users and roles"]),
    ("admin.users.lead", ["Қызметкерлер тіркелгілерін құру, бұғаттау және құпиясөзін ауыстыру.", "Создание, отключение учётных записей сотрудников и сброс пароля.", "Create staff accounts, disable them and reset passwords."]),
    ("admin.users.username", ["Пайдаланушы аты", "Имя пользователя", "Username"]),
    ("admin.users.username-hint", ["2–64 таңба: a–z, 0–9, «.», «_», «-».", "2–64 символа: a–z, 0–9, «.», «_», «-».", "2 to 64 of a-z, 0-9, '.', '_', '-'."]),
    ("admin.users.name", ["Аты-жөні", "ФИО", "Full name"]),
    ("admin.users.role", ["Рөлі", "Роль", "Role"]),
    ("admin.users.provider", ["Қызмет беруші", "Услугодатель", "Provider"]),
    ("admin.users.provider-hint", ["Кеңсе қызметкеріне, басшыға және маманға міндетті.", "Обязательно для сотрудника канцелярии, руководителя и специалиста.", "Required for an office clerk, a head and a specialist."]),
    ("admin.users.no-provider", ["— жоқ —", "— нет —", "— none —"]),
    ("admin.users.password", ["Бастапқы құпиясөз", "Начальный пароль", "Initial password"]),
    ("admin.users.state", ["Күйі", "Состояние", "State"]),
    ("admin.users.active", ["белсенді", "активна", "active"]),
    ("admin.users.disabled", ["бұғатталған", "отключена", "disabled"]),
    ("admin.users.new", ["Жаңа қызметкер", "Новый сотрудник", "New staff account"]),
    ("admin.users.create", ["Тіркелгі құру", "Создать учётную запись", "Create the account"]),
    ("admin.users.disable", ["Бұғаттау", "Отключить", "Disable"]),
    ("admin.users.enable", ["Қосу", "Включить", "Enable"]),
    ("admin.users.reset", ["Құпиясөзді ауыстыру", "Сбросить пароль", "Reset the password"]),
    ("admin.users.disable-title", ["Тіркелгіні бұғаттау", "Отключение учётной записи", "Disable the account"]),
    ("admin.users.disable-consequence", ["Ол жүйеге кіре алмайды, ашық сеанстары бірден жабылады. Тіркелгі жойылмайды: тарих оны атайды. Кейін қайта қосуға болады.", "Пользователь не сможет войти, открытые сеансы закроются сразу. Учётная запись не удаляется: история её упоминает. Позже её можно включить снова.", "They can no longer log in and their open sessions end at once. The account is not deleted: the history names it. It can be enabled again later."]),
    ("admin.users.reset-title", ["Құпиясөзді ауыстыру", "Сброс пароля", "Reset the password"]),
    ("admin.users.reset-consequence", ["Жаңа құпиясөз бірден күшіне енеді; пайдаланушының барлық сеанстары жабылады.", "Новый пароль действует сразу; все сеансы пользователя закрываются.", "The new password applies at once; all of the user's sessions end."]),
    ("admin.providers.title", ["Қызмет берушілер", "Услугодатели", "Providers"]),
    ("admin.providers.lead", ["Каталогтағы қызмет берушілер және олар көрсететін қызметтер.", "Услугодатели каталога и оказываемые ими услуги.", "The catalog's providers and the services they render."]),
    ("admin.providers.code", ["Коды", "Код", "Code"]),
    ("admin.providers.name", ["Атауы", "Наименование", "Name"]),
    ("admin.providers.bin", ["БСН", "БИН", "BIN"]),
    ("admin.providers.services", ["Қызметтер", "Услуги", "Services"]),
    ("admin.versions.title", ["Регламент нұсқалары", "Версии регламентов", "Regulation versions"]),
    ("admin.versions.lead", ["Әр қызметтің нұсқалары және бүгін қолданылатыны. Нұсқаның қолданылуын күн бойынша тоқтатуға болады.", "Версии каждой услуги и действующая сегодня. Действие версии можно прекратить с даты.", "Each service's versions and the one in force today. A version can be ended from a date."]),
    ("admin.versions.act", ["Акт", "Акт", "Act"]),
    ("admin.versions.end", ["Қолданылуын тоқтату", "Прекратить действие", "End the version"]),
    ("admin.versions.end-title", ["Регламент нұсқасын тоқтату", "Прекращение версии регламента", "End a regulation version"]),
    ("admin.versions.end-consequence", ["Осы күннен бастап жаңа өтініштер бұл нұсқаны алмайды (келесі нұсқа болса, соны алады). Бұрын берілген өтініштер өз нұсқасымен қаралады. Мұны болдырмау мүмкін емес.", "С этой даты новые заявления не получают эту версию (получают следующую, если она есть). Поданные ранее рассматриваются по своей версии. Отменить это нельзя.", "From that day new applications no longer get this version (they get the next one, if any). Applications already made keep theirs. This cannot be undone."]),
    ("admin.versions.until", ["Қолданылмайтын алғашқы күн", "Первый день, когда версия не применяется", "First day it no longer applies"]),
    ("admin.versions.until-hint", ["Алматы уақытымен, ЖЖЖЖ-АА-КК.", "По времени Алматы, ГГГГ-ММ-ДД.", "Almaty time, YYYY-MM-DD."]),
    ("admin.versions.reason", ["Шешім қабылдаған акт", "Акт, которым это решено", "The act that decided it"]),
    ("admin.versions.confirm", ["Бұл нұсқаның қолданылуын тоқтатуды растаймын", "Подтверждаю прекращение действия этой версии", "I confirm ending this version"]),
    ("admin.cal.title", ["Жұмыс күнтізбесі", "Рабочий календарь", "Working-day calendar"]),
    ("admin.cal.lead", ["Мерзімдер осы күнтізбе бойынша есептеледі. Өзгеріс енгізілгенде басталған мерзімдер өздігінен өзгермейді: оларды төменде қайта есептеңіз.", "Сроки считаются по этому календарю. Внесённое изменение не меняет уже идущие сроки само: пересчитайте их ниже.", "Deadlines are counted on this calendar. An edit does not move running deadlines by itself: recompute them below."]),
    ("admin.cal.pager", ["Айлар", "Месяцы", "Months"]),
    ("admin.cal.prev", ["← Алдыңғы ай", "← Предыдущий месяц", "← Previous month"]),
    ("admin.cal.next", ["Келесі ай →", "Следующий месяц →", "Next month →"]),
    ("admin.cal.year", ["Жыл", "Год", "Year"]),
    ("admin.cal.unusual", ["ерекше күндер", "особые дни", "unusual days"]),
    ("admin.cal.date", ["Күні", "Дата", "Date"]),
    ("admin.cal.date-hint", ["Жылдан басқа барлық түрлеріне.", "Для всех видов, кроме года.", "For every kind but a published year."]),
    ("admin.cal.is", ["Қандай күн", "Какой день", "What day"]),
    ("admin.cal.why", ["Себебі", "Причина", "Why"]),
    ("admin.cal.working", ["жұмыс күні", "рабочий день", "working day"]),
    ("admin.cal.day-off", ["демалыс күні", "выходной день", "day off"]),
    ("admin.cal.moved-day-off", ["ауыстырылған демалыс", "перенесённый выходной", "moved day off"]),
    ("admin.cal.decree", ["қаулы бойынша демалыс", "выходной по постановлению", "day off by decree"]),
    ("admin.cal.worked", ["жұмыс істелетін демалыс", "рабочий выходной", "worked weekend day"]),
    ("admin.cal.correction", ["түзету", "поправка", "correction"]),
    ("admin.cal.add", ["Күнтізбеге өзгеріс енгізу", "Внести изменение в календарь", "Add a calendar edit"]),
    ("admin.cal.kind", ["Өзгеріс түрі", "Вид изменения", "Kind of edit"]),
    ("admin.cal.kind.day-off", ["Мереке немесе ауыстырылған демалыс (жұмыс күні демалыс болады)", "Праздник или перенесённый выходной (будний день становится выходным)", "A holiday or moved day off (a weekday becomes a day off)"]),
    ("admin.cal.kind.working-day", ["Ауыстырылған жұмыс күні (сенбі не жексенбі жұмыс күні болады)", "Перенесённый рабочий день (суббота или воскресенье становится рабочим)", "A moved working day (a Saturday or Sunday is worked)"]),
    ("admin.cal.kind.correction", ["Түзету (кез келген күн, бәрінен жоғары)", "Поправка (любой день, поверх всего)", "A correction (any date, over everything)"]),
    ("admin.cal.kind.kurban-ait", ["Құрбан айттың бірінші күні", "Первый день Курбан айта", "The first day of Kurban Ait"]),
    ("admin.cal.kind.published-year", ["Жарияланған жыл (демалыстар мен жұмыс күндері тізімі)", "Опубликованный год (списки выходных и рабочих дней)", "A published year (its lists of days off and worked days)"]),
    ("admin.cal.working-q", ["Түзетуде: бұл күн қандай?", "Для поправки: какой это день?", "For a correction: what is the day?"]),
    ("admin.cal.working-hint", ["Тек «түзету» түріне.", "Только для вида «поправка».", "For a correction only."]),
    ("admin.cal.days-off", ["Демалыс күндері", "Выходные дни", "Days off"]),
    ("admin.cal.worked-days", ["Жұмыс істелетін демалыс күндері", "Рабочие выходные дни", "Worked weekend days"]),
    ("admin.cal.dates-hint", ["ЖЖЖЖ-АА-КК күндері, бос орынмен немесе үтірмен бөлінген.", "Даты ГГГГ-ММ-ДД через пробел или запятую.", "Dates as YYYY-MM-DD, separated by spaces or commas."]),
    ("admin.cal.source", ["Негіз (акт)", "Основание (акт)", "Source (the act)"]),
    ("admin.cal.source-hint", ["Мысалы: ҚР Үкіметінің 2026 жылғы 20 қарашадағы қаулысы.", "Например: постановление Правительства РК от 20 ноября 2026 года.", "For example: Government decree of 20 November 2026."]),
    ("admin.cal.reason", ["Ескерту", "Примечание", "Note"]),
    ("admin.cal.save", ["Өзгерісті сақтау", "Сохранить изменение", "Save the edit"]),
    ("admin.cal.recorded", ["Өзгеріс жазылды", "Изменение записано", "The edit was recorded"]),
    ("admin.cal.recompute-lead", ["Басталған мерзімдер әлі өзгерген жоқ. Мына күннен бастап қозғалатын ашық мерзімдерді қайта есептеңіз:", "Идущие сроки ещё не изменились. Пересчитайте открытые сроки, которые оно затрагивает, начиная с", "Running deadlines have not moved yet. Recompute the open deadlines it touches, from"]),
    ("admin.cal.recompute", ["Ашық мерзімдерді қайта есептеу", "Пересчитать открытые сроки", "Recompute the open deadlines"]),
    ("admin.cal.recompute-from", ["Мерзімі осы күннен кейінгілер (бос болса, барлығы)", "Со сроком с этой даты (пусто — все)", "Deadlines on or after (empty: all)"]),
    ("admin.cal.edits", ["Енгізілген өзгерістер", "Внесённые изменения", "Recorded edits"]),
    ("admin.cal.no-edits", ["Әкімші өзгерістері жоқ: күнтізбе файлы бойынша.", "Изменений администратора нет: календарь по файлу.", "No administrator's edits: the calendar is as its file says."]),
    ("admin.cal.edit", ["Өзгеріс", "Изменение", "Edit"]),
    ("admin.cal.back", ["Күнтізбеге оралу", "Вернуться к календарю", "Back to the calendar"]),
    ("admin.wd.1", ["Дс", "Пн", "Mon"]),
    ("admin.wd.2", ["Сс", "Вт", "Tue"]),
    ("admin.wd.3", ["Ср", "Ср", "Wed"]),
    ("admin.wd.4", ["Бс", "Чт", "Thu"]),
    ("admin.wd.5", ["Жм", "Пт", "Fri"]),
    ("admin.wd.6", ["Сб", "Сб", "Sat"]),
    ("admin.wd.7", ["Жс", "Вс", "Sun"]),
    ("admin.month.1", ["Қаңтар", "Январь", "January"]),
    ("admin.month.2", ["Ақпан", "Февраль", "February"]),
    ("admin.month.3", ["Наурыз", "Март", "March"]),
    ("admin.month.4", ["Сәуір", "Апрель", "April"]),
    ("admin.month.5", ["Мамыр", "Май", "May"]),
    ("admin.month.6", ["Маусым", "Июнь", "June"]),
    ("admin.month.7", ["Шілде", "Июль", "July"]),
    ("admin.month.8", ["Тамыз", "Август", "August"]),
    ("admin.month.9", ["Қыркүйек", "Сентябрь", "September"]),
    ("admin.month.10", ["Қазан", "Октябрь", "October"]),
    ("admin.month.11", ["Қараша", "Ноябрь", "November"]),
    ("admin.month.12", ["Желтоқсан", "Декабрь", "December"]),
    ("admin.recompute.title", ["Мерзімдер қайта есептелді", "Сроки пересчитаны", "Deadlines recomputed"]),
    ("admin.recompute.examined", ["Қаралған ашық өтініштер", "Просмотрено открытых заявлений", "Open applications examined"]),
    ("admin.recompute.changed", ["Мерзімі өзгергендер", "Сроки изменились у", "Deadlines moved"]),
    ("admin.recompute.from", ["Мерзімі мына күннен бастап:", "Сроки начиная с", "Deadlines from"]),
    ("admin.recompute.none", ["Ешбір мерзім өзгерген жоқ.", "Ни один срок не изменился.", "No deadline moved."]),
    ("admin.recompute.moved", ["Өзгерген мерзімдер", "Изменённые сроки", "Deadlines that moved"]),
    ("admin.recompute.what", ["Не өзгерді", "Что изменилось", "What moved"]),
    ("admin.recompute.previous", ["Бұрын", "Было", "Before"]),
    ("admin.recompute.now", ["Қазір", "Стало", "Now"]),
    ("admin.recompute.pause-end", ["тоқтатудың аяқталуы", "окончание приостановления", "end of the pause"]),
    ("admin.recompute.more", ["Тізімде бәрі көрсетілмеген; толығы әр өтініштің тарихында.", "В списке показаны не все; полностью — в истории каждого заявления.", "Not all are listed; each application's history has them all."]),
    ("admin.outbox.title", ["Орындалмаған тапсырмалар", "Невыполненные задания", "Dead letters"]),
    ("admin.outbox.lead", ["Кезектегі барлық әрекеттерден кейін де орындалмаған тапсырмалар (хабарламалар, құжаттар, шлюз). Себебін жойып, қайта іске қосыңыз.", "Задания очереди, не выполненные после всех попыток (уведомления, документы, шлюз). Устраните причину и запустите снова.", "Outbox jobs that failed after every attempt (notices, documents, the gateway). Fix the cause, then retry."]),
    ("admin.outbox.empty", ["Орындалмаған тапсырма жоқ.", "Невыполненных заданий нет.", "No dead letters."]),
    ("admin.outbox.kind", ["Түрі", "Вид", "Kind"]),
    ("admin.outbox.attempts", ["Әрекеттер", "Попытки", "Attempts"]),
    ("admin.outbox.error", ["Соңғы қате", "Последняя ошибка", "Last error"]),
    ("admin.outbox.created", ["Құрылған", "Создано", "Created"]),
    ("admin.outbox.retry", ["Қайта іске қосу", "Повторить", "Retry"]),
    ("admin.audit.title", ["Әкімші аудиті", "Аудит администрирования", "Administration audit log"]),
    ("admin.audit.lead", ["Әкімшілер не өзгертті, ең жаңасы басында.", "Что меняли администраторы, новые сверху.", "What administrators changed, newest first."]),
    ("admin.audit.empty", ["Әзірге өзгеріс жоқ.", "Изменений пока нет.", "No changes yet."]),
    ("admin.audit.at", ["Уақыты", "Время", "When"]),
    ("admin.audit.actor", ["Кім", "Кто", "Who"]),
    ("admin.audit.action", ["Әрекет", "Действие", "Action"]),
    ("admin.audit.target", ["Нысаны", "Объект", "Target"]),
    ("admin.audit.data", ["Мәліметтер", "Данные", "Details"]),
    ("admin.audit.older", ["Ескірек жазбалар", "Более ранние записи", "Older entries"]),
    ("audit.title", ["Өтініштер аудиті", "Аудит заявлений", "Application audit"]),
    ("audit.lead", ["Кез келген өтінішті тауып, оның оқиғалар тарихын және хэш тізбегін тексеріңіз. Бұл жерде ештеңе өзгермейді.", "Найдите любое заявление и проверьте историю его событий и хеш-цепочку. Здесь ничего не меняется.", "Find any application and check its event history and hash chain. Nothing is changed here."]),
    ("audit.number", ["Өтініш нөмірі", "Номер заявления", "Application number"]),
    ("audit.find", ["Табу", "Найти", "Find"]),
    ("audit.not-found", ["Мұндай нөмірлі өтініш жоқ.", "Заявления с таким номером нет.", "There is no application with that number."]),
    ("audit.filter", ["Сүзгі", "Фильтр", "Filter"]),
    ("audit.any", ["кез келген", "любой", "any"]),
    ("audit.overdue-only", ["Тек мерзімі өткендер", "Только просроченные", "Overdue only"]),
    ("audit.show", ["Көрсету", "Показать", "Show"]),
    ("audit.list", ["Өтініштер", "Заявления", "Applications"]),
    ("audit.empty", ["Өтініш табылмады.", "Заявлений не найдено.", "No applications found."]),
    ("audit.created", ["Берілген", "Подано", "Made"]),
    ("audit.next", ["Келесі бет", "Следующая страница", "Next page"]),
    ("event.created", ["Өтініш жасалды", "Заявление создано", "Application created"]),
    ("event.signed", ["Қол қойылды", "Подписано", "Signed"]),
    ("event.rejected-at-intake", ["Қабылдаудан бас тартылды", "Отказано в приёме", "Refused at intake"]),
    ("event.accepted", ["Қабылданды", "Принято", "Accepted"]),
    ("event.step-started", ["Қадам басталды", "Шаг начат", "Step started"]),
    ("event.step-completed", ["Қадам аяқталды", "Шаг завершён", "Step completed"]),
    ("event.assigned", ["Орындаушы тағайындалды", "Назначен исполнитель", "Assignee named"]),
    ("event.refused", ["Бас тарту дайындалды", "Подготовлен отказ", "Refusal drafted"]),
    ("event.returned", ["Қадамға қайтарылды", "Возвращено на шаг", "Returned to a step"]),
    ("event.paused", ["Тоқтатыла тұрды", "Приостановлено", "Paused"]),
    ("event.resumed", ["Қайта жалғасты", "Возобновлено", "Resumed"]),
    ("event.marked-overdue", ["Мерзімі өтті", "Срок нарушен", "Marked overdue"]),
    ("event.deadline-recomputed", ["Мерзім қайта есептелді", "Срок пересчитан", "Deadline recomputed"]),
    ("event.pause-recomputed", ["Тоқтату қайта есептелді", "Приостановка пересчитана", "Pause recomputed"]),
    ("event.package-registered", ["Пакет көрсетілетін қызметті берушіде тіркелді", "Пакет зарегистрирован у услугодателя", "Package registered by the provider"]),
    ("event.result-received", ["Нәтиже алынды", "Результат получен", "Result received"]),
    ("event.clock-restarted", ["Мерзім есебі қайта басталды", "Отсчёт срока начат заново", "Clock restarted"]),
    ("event.withdrawn", ["Кері қайтарып алынды", "Отозвано", "Withdrawn"]),
    ("event.completed", ["Аяқталды", "Завершено", "Completed"]),
    ("audit.back", ["Аудитке оралу", "Вернуться к аудиту", "Back to the audit"]),
    ("audit.intact", ["Хэш тізбегі бүтін", "Хеш-цепочка цела", "The hash chain is intact"]),
    ("audit.broken", ["Хэш тізбегі бұзылған", "Хеш-цепочка нарушена", "The hash chain is broken"]),
    ("audit.how", ["Сервер әр оқиғаның хэшін API берген түрінен қайта есептеді: SHA-256(prev_hash + «\\n» + JCS(оқиға)), алғашқы prev_hash — 64 нөл.", "Сервер заново вычислил хеш каждого события по тому, как его отдаёт API: SHA-256(prev_hash + «\\n» + JCS(событие)), первый prev_hash — 64 нуля.", "The server recomputed every event's hash from the event as the API serves it: SHA-256(prev_hash + \"\\n\" + JCS(event)), the first prev_hash being 64 zeros."]),
    ("audit.events", ["Оқиғалар тарихы", "История событий", "Event history"]),
    ("audit.event", ["Оқиға", "Событие", "Event"]),
    ("audit.link", ["Тізбек буыны", "Звено цепочки", "Link"]),
    ("audit.hashes", ["Хэштер", "Хеши", "Hashes"]),
    ("audit.data", ["Деректер", "Данные", "Data"]),
    ("audit.ok", ["дұрыс", "верно", "ok"]),
    ("audit.bad", ["бұзылған", "нарушено", "broken"]),
    ("audit.prev", ["алдыңғы:", "предыдущий:", "previous:"]),
    ("audit.hash", ["өзі:", "собственный:", "own:"]),
    ("audit.why.seq", ["реттік нөмір күтілгендей емес", "порядковый номер не тот, что ожидался", "the sequence number is not the one expected"]),
    ("audit.why.prev", ["prev_hash алдыңғы оқиғаның хэшіне сай емес", "prev_hash не совпадает с хешем предыдущего события", "prev_hash does not match the previous event's hash"]),
    ("audit.why.hash", ["хэш оқиғаның мазмұнына сай емес", "хеш не совпадает с содержанием события", "the hash does not match the event's content"]),
    ("mon.title", ["Мониторинг", "Мониторинг", "Monitoring"]),
    ("mon.lead", ["Мерзімі өткен қадамдар, қадамдар мен қызмет берушілер бойынша жүктеме және қадамдардың нормамен салыстырғандағы ұзақтығы.", "Просроченные шаги, нагрузка по шагам и услугодателям и время шагов в сравнении с нормой.", "Overdue steps, the load per step and per provider, and the time steps take against their limit."]),
    ("mon.open-total", ["Ашық өтініштер", "Открытых заявлений", "Open applications"]),
    ("mon.overdue-total", ["Оның ішінде мерзімі өткен", "Из них просрочено", "Of them overdue"]),
    ("mon.overdue.title", ["Мерзімі өткен қадамдар", "Просроченные шаги", "Overdue steps"]),
    ("mon.overdue.none", ["Мерзімі өткен қадам жоқ.", "Просроченных шагов нет.", "No step is overdue."]),
    ("mon.steps.title", ["Қадамдар бойынша жүктеме", "Нагрузка по шагам", "Load per step"]),
    ("mon.providers.title", ["Қызмет берушілер бойынша жүктеме", "Нагрузка по услугодателям", "Load per provider"]),
    ("mon.load.desc", ["Әр жолақ — ашық өтініштер саны; қызыл бөлігі — мерзімі өткендері.", "Каждая полоса — число открытых заявлений; красная часть — просроченные.", "Each bar is the number of open applications; its red part the overdue ones."]),
    ("mon.times.title", ["Қадамдардың ұзақтығы нормамен салыстырғанда", "Время шагов в сравнении с нормой", "Time taken against the limit"]),
    ("mon.times.lead", ["Аяқталған әр қадам өзіне берілген уақыттың (басталуынан мерзіміне дейін, күнтізбе бойынша) қанша пайызын пайдаланды: медиана және 90-процентиль. 100 %-дан асса — кешіккен.", "Какую долю отведённого ему времени (от начала до срока, по календарю) использовал каждый завершённый шаг: медиана и 90-й процентиль. Больше 100 % — опоздание.", "The share of its own allowed time (start to deadline, on the calendar) each completed step used: the median and the 90th percentile. Over 100 % is late."]),
    ("mon.times.desc", ["Әр қадамға екі жолақ: медиана және 90-процентиль, берілген уақыттың пайызымен; үзік сызық — норма (100 %).", "Для каждого шага две полосы: медиана и 90-й процентиль в процентах отведённого времени; пунктир — норма (100 %).", "Two bars a step: the median and the 90th percentile, in percent of the allowed time; the dashed line is the limit (100 %)."]),
    ("mon.times.link-lead", ["Бұл есеп кезең ішінде өзгерген барлық өтініштерді оқиды, сондықтан жеке бетте ашылады.", "Этот отчёт читает все заявления, изменённые за период, поэтому открывается на отдельной странице.", "This report reads every application changed in its period, so it opens on a page of its own."]),
    ("mon.times.since", ["Қай күннен бастап аяқталған қадамдар", "Шаги, завершённые начиная с", "Steps completed since"]),
    ("mon.times.since-hint", ["Әдепкі — соңғы 90 күн. Қысқа кезең тезірек есептеледі.", "По умолчанию — последние 90 дней. Короткий период считается быстрее.", "By default the last 90 days. A shorter period is counted faster."]),
    ("mon.times.show", ["Көрсету", "Показать", "Show"]),
    ("mon.times.open", ["Есепті ашу", "Открыть отчёт", "Open the report"]),
    ("mon.back", ["Мониторингке оралу", "Вернуться к мониторингу", "Back to monitoring"]),
    ("mon.open", ["ашық", "открыто", "open"]),
    ("mon.open-on-time", ["ашық, мерзімінде", "открыто, в срок", "open, on time"]),
    ("mon.overdue", ["мерзімі өткен", "просрочено", "overdue"]),
    ("mon.median", ["медиана", "медиана", "median"]),
    ("mon.p90", ["90-процентиль", "90-й процентиль", "90th percentile"]),
    ("mon.limit", ["норма", "норма", "limit"]),
    ("mon.step", ["Қызмет — қадам", "Услуга — шаг", "Service — step"]),
    ("mon.completed", ["Аяқталған", "Завершено", "Completed"]),
    ("mon.on-time", ["Мерзімінде", "В срок", "On time"]),
    ("mon.allowed", ["Берілген уақыт (медиана)", "Отведённое время (медиана)", "Allowed time (median)"]),
    ("mon.table", ["Кесте", "Таблица", "Table"]),
    ("mon.csv", ["CSV жүктеп алу", "Скачать CSV", "Download CSV"]),
    ("mon.unit.d", ["тәул.", "сут.", "d"]),
    ("mon.unit.h", ["сағ.", "ч", "h"]),
    ("mon.unit.min", ["мин", "мин", "min"]),
];

/// The text of `key` in `lang`. An unknown key shows itself (and fails the
/// tests), never an empty string.
pub fn t(lang: Lang, key: &str) -> &'static str {
    known(lang, key).unwrap_or_else(|| {
        tracing::warn!(key, "page text missing");
        "?"
    })
}

/// The text of `key`, when there is one: for keys made from data (a
/// form's field, an event's type), where a missing text is expected and
/// the caller has its own fallback.
pub fn known(lang: Lang, key: &str) -> Option<&'static str> {
    let i = match lang {
        Lang::Kk => 0,
        Lang::Ru => 1,
        Lang::En => 2,
    };
    TEXTS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, texts)| texts[i])
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
                                "cabinet", "app", "sign", "admin", "audit", "mon", "operator",
                                "work",
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
