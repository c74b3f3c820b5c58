/* nm_corpus.c - deterministic synthetic news corpus for the benchmark
 * (#included by nm_bench.c).
 *
 * Article i of seed S depends only on (S, i), so any range can be generated
 * independently (the backlog loader, the paced latency producer and the
 * offline corpus all agree). The text is written for this benchmark:
 * templates of sentences per language with varied fillers, about 30% of the
 * articles about Russia-North Korea military cooperation, the rest ordinary
 * news and hard negatives, plus scraped-page noise (HTML entities, stray
 * tags, "Read more" lines, repeated title lines, share/ad boilerplate).
 *
 * Language mix (as the dev set): en 35%, fr 20%, ru/es/de/ko 7.5% each,
 * ja 5%, uk 5%, zh 2.5%, id 2.5%. Bodies are 1-6 KB. 20% of the articles
 * omit "lang" (newsmon then identifies it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ PRNG */

static uint64_t nc_splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static uint32_t nc_below(uint64_t *s, uint32_t n) { return (uint32_t)(nc_splitmix(s) % n); }
static double nc_unit(uint64_t *s) { return (double)(nc_splitmix(s) >> 11) / 9007199254740992.0; }

/* ------------------------------------------------------------ buffer */

typedef struct {
    char *p;
    size_t len, cap;
} nc_buf_t;

static void nc_put(nc_buf_t *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 8192;
        while (c < b->len + n + 1) c *= 2;
        char *q = realloc(b->p, c);
        if (!q) { fprintf(stderr, "nm_bench: out of memory\n"); exit(1); }
        b->p = q;
        b->cap = c;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}
static void nc_puts(nc_buf_t *b, const char *s) { nc_put(b, s, strlen(s)); }

/* JSON string body (no quotes): escapes ", \ and control characters. */
static void nc_put_json(nc_buf_t *b, const char *s, size_t n) {
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != '"' && c != '\\' && c >= 0x20) continue;
        nc_put(b, s + start, i - start);
        char e[8];
        if (c == '"') nc_put(b, "\\\"", 2);
        else if (c == '\\') nc_put(b, "\\\\", 2);
        else if (c == '\n') nc_put(b, "\\n", 2);
        else if (c == '\t') nc_put(b, "\\t", 2);
        else { snprintf(e, sizeof e, "\\u%04x", c); nc_put(b, e, 6); }
        start = i + 1;
    }
    nc_put(b, s + start, n - start);
}

/* ------------------------------------------------------------ languages */

/* Template slots: {C} city, {P} person, {D} day, {N} number 2..4999,
 * {n} number 0..5, {Y} year 2021..2024, {T} title of another article
 * (for "Read more" lines). */
typedef struct {
    const char *code;
    double share;
    const char *sources[3];
    const char *cities[8];
    const char *people[6];
    const char *days[5];
    const char *read_more[2];
    const char *boiler[4];
    const char *rel_titles[6];
    const char *rel_sents[8];
    const char *neg_titles[6];
    const char *neg_sents[14];
    const char *sep; /* between sentences */
} nc_lang_t;

static const nc_lang_t nc_langs[] = {
{"en", 0.35,
 {"wire.example.com", "dailyherald.example.org", "asia-desk.example.net"},
 {"Seoul", "Vladivostok", "Tokyo", "Washington", "London", "Brussels", "Kyiv", "Singapore"},
 {"John Carter", "Maria Lopez", "Daniel Kim", "Sarah Miller", "Ahmed Haddad", "Laura Chen"},
 {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"},
 {"Read more: ", "READ MORE: "},
 {"Advertisement", "Share this article on Facebook &amp; X", "Sign up for our morning newsletter", "Photo: Reuters/AP &copy; {Y}"},
 {"North Korea shipped {N} containers of munitions to Russia, officials in {C} say",
  "Putin and Kim Jong Un hold summit talks on military cooperation",
  "Russia-North Korea mutual defence treaty enters into force",
  "North Korean troops deployed to Russia's Kursk region, says {P}",
  "Moscow helps Pyongyang with satellite technology, {C} warns",
  "UN sanctions monitors say Russia violated resolutions on North Korea"},
 {"North Korea has supplied Russia with more than {N} containers of artillery shells since {Y}, according to {P}.",
  "Russian President Vladimir Putin met Kim Jong Un in Pyongyang on {D} and the two leaders held talks for {N} minutes.",
  "The treaty between Moscow and Pyongyang obliges each side to provide military assistance if the other is attacked.",
  "About {N} North Korean soldiers were deployed to the Kursk region to fight alongside Russian troops, officials in {C} said.",
  "Analysts in {C} believe Russia may be transferring missile technology to North Korea in exchange for ammunition.",
  "The panel of experts that monitored UN sanctions on North Korea was disbanded after a Russian veto in the Security Council.",
  "Satellite images show trains carrying munitions from the port of Rajin towards Russia, {P} told reporters on {D}.",
  "Sergei Shoigu visited Pyongyang on {D} to discuss military cooperation with Kim Jong Un."},
 {"{C} council approves new road budget", "Heavy rain expected in {C} this week",
  "Home team wins {n}-{n} after late goal", "Central bank holds rates steady",
  "New museum opens in {C}", "Russian wheat exports rise {N} percent"},
 {"The city council of {C} approved a budget of {N} million dollars for road repairs on {D}.",
  "Local farmers said the harvest near {C} was {N} percent larger than last year despite the dry summer.",
  "{P}, a spokesperson for the regional hospital, said waiting times had fallen for the third month in a row.",
  "The central bank kept its main interest rate unchanged, citing stable inflation and a strong labour market.",
  "Tickets for the concert in {C} sold out within {N} minutes, the organisers said on {D}.",
  "The home team won {n}-{n} on {D} after a late goal in the second half.",
  "Weather forecasters expect heavy rain across {C} until the end of the week.",
  "Shares of technology companies rose {n} percent in early trading on {D}.",
  "Critics said the new museum in {C} was a bold addition to the skyline.",
  "Officials in {C} said the railway line would reopen after {N} days of maintenance.",
  "Russia's wheat exports rose again this season, traders in {C} said, as prices stayed low.",
  "South Korea and Japan agreed on {D} to expand a programme of student exchanges.",
  "The film festival in {C} will show {N} films from {n} continents this year.",
  "Residents of {C} complained about noise from the construction of a new stadium."},
 " "},
{"fr", 0.20,
 {"depeches.example.fr", "lequotidien.example.fr", "monde-asie.example.org"},
 {"Séoul", "Paris", "Lyon", "Bruxelles", "Genève", "Tokyo", "Marseille", "Montréal"},
 {"Claire Dubois", "Jean Martin", "Sophie Bernard", "Luc Moreau", "Amélie Petit", "Karim Benali"},
 {"lundi", "mardi", "mercredi", "jeudi", "vendredi"},
 {"Lire aussi : ", "À lire aussi : "},
 {"Publicité", "Partager sur Facebook &amp; X", "Abonnez-vous à notre lettre d&#8217;information", "Photo AFP &copy; {Y}"},
 {"La Corée du Nord aurait livré {N} conteneurs de munitions à la Russie",
  "Poutine et Kim Jong-un tiennent un sommet sur la coopération militaire",
  "Le traité de défense mutuelle entre la Russie et la Corée du Nord entre en vigueur",
  "Des soldats nord-coréens déployés dans la région de Koursk, selon {P}",
  "Moscou aiderait Pyongyang dans le domaine spatial, s&#8217;inquiète {C}",
  "L&#8217;ONU accuse la Russie de violer les sanctions contre la Corée du Nord"},
 {"La Corée du Nord a fourni à la Russie plus de {N} conteneurs d&#8217;obus d&#8217;artillerie depuis {Y}, selon {P}.",
  "Vladimir Poutine a rencontré Kim Jong-un à Pyongyang {D} et les deux dirigeants ont eu un entretien de {N} minutes.",
  "Le traité entre Moscou et Pyongyang prévoit une assistance militaire mutuelle en cas d&#8217;agression.",
  "Environ {N} soldats nord-coréens ont été déployés dans la région de Koursk aux côtés des troupes russes, selon des responsables à {C}.",
  "Des analystes à {C} estiment que la Russie pourrait transférer des technologies militaires à la Corée du Nord en échange de munitions.",
  "Le groupe d&#8217;experts de l&#8217;ONU chargé des sanctions contre la Corée du Nord a été dissous après un veto russe au Conseil de sécurité.",
  "Des images satellite montrent des trains chargés de munitions quittant le port de Rajin vers la Russie, a déclaré {P} {D}.",
  "Sergueï Choïgou s&#8217;est rendu à Pyongyang {D} pour discuter de la coopération militaire avec Kim Jong-un."},
 {"{C} : le conseil municipal vote le budget des routes", "Fortes pluies attendues à {C} cette semaine",
  "Victoire {n}-{n} de l&#8217;équipe locale", "La banque centrale maintient ses taux",
  "Un nouveau musée ouvre ses portes à {C}", "Les exportations de blé russe progressent"},
 {"Le conseil municipal de {C} a adopté {D} un budget de {N} millions d&#8217;euros pour la rénovation des routes.",
  "Les agriculteurs de la région de {C} ont annoncé une récolte en hausse de {n} % malgré la sécheresse.",
  "{P}, porte-parole de l&#8217;hôpital régional, a indiqué que les délais d&#8217;attente avaient encore baissé.",
  "La banque centrale a laissé son taux directeur inchangé, invoquant une inflation stable.",
  "Les billets pour le concert de {C} se sont vendus en {N} minutes, selon les organisateurs.",
  "L&#8217;équipe locale s&#8217;est imposée {n}-{n} {D} grâce à un but en fin de match.",
  "Météo-France prévoit de fortes pluies sur {C} jusqu&#8217;à la fin de la semaine.",
  "Les valeurs technologiques ont progressé de {n} % en début de séance {D}.",
  "Le nouveau musée de {C} a été salué par les critiques pour son architecture audacieuse.",
  "La ligne ferroviaire entre {C} et la côte rouvrira après {N} jours de travaux.",
  "Les exportations de blé de la Russie ont encore augmenté cette saison, selon des négociants à {C}.",
  "Le festival de cinéma de {C} présentera {N} films venus de {n} continents.",
  "Les habitants de {C} se plaignent du bruit du chantier du nouveau stade.",
  "Le gouvernement a présenté {D} un plan pour les transports publics dans les zones rurales."},
 " "},
{"ru", 0.075,
 {"novosti.example.ru", "vedomosti-bench.example.org", "dv-news.example.ru"},
 {"Москве", "Владивостоке", "Хабаровске", "Сеуле", "Новосибирске", "Казани", "Токио", "Пекине"},
 {"Иван Петров", "Анна Смирнова", "Сергей Волков", "Ольга Кузнецова", "Дмитрий Орлов", "Елена Соколова"},
 {"в понедельник", "во вторник", "в среду", "в четверг", "в пятницу"},
 {"Читайте также: ", "Читать далее: "},
 {"Реклама", "Поделиться в Telegram &amp; VK", "Подписывайтесь на наш канал", "Фото: ТАСС &copy; {Y}"},
 {"КНДР поставила России {N} контейнеров с боеприпасами",
  "Путин и Ким Чен Ын провели переговоры о военном сотрудничестве",
  "Договор о всеобъемлющем стратегическом партнерстве России и КНДР вступил в силу",
  "Северокорейские военные переброшены в Курскую область",
  "Россия поможет КНДР со спутниковыми технологиями",
  "В ООН обвинили Россию в нарушении санкций против КНДР"},
 {"По данным {P}, КНДР с {Y} года поставила России более {N} контейнеров с артиллерийскими снарядами.",
  "Владимир Путин встретился с Ким Чен Ыном в Пхеньяне {D}, переговоры продолжались {N} минут.",
  "Договор между Москвой и Пхеньяном предусматривает взаимную помощь в случае нападения на одну из сторон.",
  "Около {N} северокорейских военных переброшены в Курскую область, сообщили в {C}.",
  "Эксперты в {C} считают, что Россия может передавать КНДР ракетные технологии в обмен на боеприпасы.",
  "Группа экспертов ООН по санкциям против КНДР прекратила работу после вето России в Совете безопасности.",
  "Сергей Шойгу {D} посетил Пхеньян и обсудил с Ким Чен Ыном военное сотрудничество."},
 {"В {C} утвердили бюджет на ремонт дорог", "Синоптики обещают дожди в {C}",
  "Местная команда победила со счетом {n}:{n}", "Центробанк сохранил ключевую ставку",
  "В {C} открылся новый музей", "Экспорт российской пшеницы вырос"},
 {"Городская дума в {C} {D} утвердила бюджет в {N} миллионов рублей на ремонт дорог.",
  "Фермеры рассказали, что урожай в этом году оказался на {n} процентов выше прошлогоднего.",
  "{P}, представитель областной больницы, сообщил, что очереди на прием сократились.",
  "Центральный банк оставил ключевую ставку без изменений, сославшись на стабильную инфляцию.",
  "Билеты на концерт в {C} были распроданы за {N} минут, сообщили организаторы.",
  "Местная команда {D} победила со счетом {n}:{n} благодаря голу на последних минутах.",
  "Синоптики ожидают сильные дожди в {C} до конца недели.",
  "Акции технологических компаний {D} подорожали на {n} процента.",
  "Новый музей в {C} критики назвали смелым архитектурным решением.",
  "Железнодорожное сообщение в {C} восстановят после {N} дней ремонта.",
  "Экспорт пшеницы из России в этом сезоне снова вырос, сообщили трейдеры в {C}.",
  "Жители {C} жалуются на шум от строительства нового стадиона."},
 " "},
{"es", 0.075,
 {"noticias.example.es", "diario-bench.example.org", "agencia.example.mx"},
 {"Madrid", "Barcelona", "Seúl", "Ciudad de México", "Buenos Aires", "Bogotá", "Lima", "Tokio"},
 {"Carlos Gómez", "Lucía Fernández", "Javier Ruiz", "Marta Sánchez", "Pablo Ortega", "Ana Torres"},
 {"el lunes", "el martes", "el miércoles", "el jueves", "el viernes"},
 {"Leer más: ", "Te puede interesar: "},
 {"Publicidad", "Compartir en Facebook &amp; X", "Suscríbete a nuestro boletín", "Foto: EFE &copy; {Y}"},
 {"Corea del Norte envió {N} contenedores de municiones a Rusia",
  "Putin y Kim Jong-un celebran una cumbre sobre cooperación militar",
  "Entra en vigor el tratado de defensa mutua entre Rusia y Corea del Norte",
  "Soldados norcoreanos desplegados en la región de Kursk, según {P}",
  "La ONU acusa a Rusia de violar las sanciones contra Corea del Norte"},
 {"Corea del Norte ha suministrado a Rusia más de {N} contenedores de proyectiles de artillería desde {Y}, según {P}.",
  "Vladímir Putin se reunió con Kim Jong-un en Pionyang {D} y ambos mantuvieron conversaciones durante {N} minutos.",
  "El tratado entre Moscú y Pionyang prevé asistencia mutua si una de las partes es atacada.",
  "Unos {N} soldados norcoreanos fueron desplegados en la región de Kursk junto a las tropas rusas, dijeron funcionarios en {C}.",
  "Analistas en {C} creen que Rusia podría transferir tecnología militar a Corea del Norte a cambio de municiones.",
  "El panel de expertos de la ONU sobre las sanciones a Corea del Norte se disolvió tras un veto ruso en el Consejo de Seguridad."},
 {"{C} aprueba el presupuesto para carreteras", "Lluvias intensas en {C} esta semana",
  "El equipo local gana {n}-{n}", "El banco central mantiene los tipos",
  "Abre un nuevo museo en {C}"},
 {"El ayuntamiento de {C} aprobó {D} un presupuesto de {N} millones de euros para reparar carreteras.",
  "Los agricultores dijeron que la cosecha fue un {n} por ciento mayor que el año pasado.",
  "{P}, portavoz del hospital regional, dijo que las listas de espera se redujeron por tercer mes.",
  "El banco central mantuvo sin cambios los tipos de interés ante una inflación estable.",
  "Las entradas para el concierto en {C} se agotaron en {N} minutos, según los organizadores.",
  "El equipo local ganó {n}-{n} {D} con un gol en los últimos minutos.",
  "Se esperan lluvias intensas en {C} hasta el final de la semana.",
  "Las acciones tecnológicas subieron un {n} por ciento {D}.",
  "El nuevo museo de {C} fue elogiado por su arquitectura atrevida.",
  "Las exportaciones de trigo de Rusia volvieron a crecer esta temporada, según comerciantes en {C}.",
  "Los vecinos de {C} se quejan del ruido de las obras del nuevo estadio."},
 " "},
{"de", 0.075,
 {"nachrichten.example.de", "tagesblatt.example.de", "wien-news.example.at"},
 {"Berlin", "München", "Wien", "Hamburg", "Seoul", "Zürich", "Köln", "Tokio"},
 {"Thomas Müller", "Anna Schmidt", "Stefan Weber", "Julia Fischer", "Markus Wagner", "Lena Becker"},
 {"am Montag", "am Dienstag", "am Mittwoch", "am Donnerstag", "am Freitag"},
 {"Lesen Sie auch: ", "Mehr zum Thema: "},
 {"Anzeige", "Auf Facebook &amp; X teilen", "Jetzt Newsletter abonnieren", "Foto: dpa &copy; {Y}"},
 {"Nordkorea lieferte {N} Container mit Munition an Russland",
  "Putin und Kim Jong Un halten Gipfel zur militärischen Zusammenarbeit",
  "Beistandsvertrag zwischen Russland und Nordkorea in Kraft",
  "Nordkoreanische Soldaten in der Region Kursk, sagt {P}",
  "UN-Experten werfen Russland Verstoß gegen Nordkorea-Sanktionen vor"},
 {"Nordkorea hat Russland seit {Y} mehr als {N} Container mit Artilleriegranaten geliefert, sagte {P}.",
  "Wladimir Putin traf Kim Jong Un {D} in Pjöngjang, die Gespräche dauerten {N} Minuten.",
  "Der Vertrag zwischen Moskau und Pjöngjang sieht gegenseitigen Beistand im Fall eines Angriffs vor.",
  "Rund {N} nordkoreanische Soldaten wurden in die Region Kursk verlegt, um an der Seite russischer Truppen zu kämpfen.",
  "Experten in {C} vermuten, dass Russland Nordkorea im Gegenzug für Munition Militärtechnologie liefert.",
  "Das Expertengremium der UN zu den Sanktionen gegen Nordkorea wurde nach einem russischen Veto im Sicherheitsrat aufgelöst."},
 {"{C} beschließt Haushalt für Straßen", "Starkregen in {C} erwartet",
  "Heimsieg mit {n}:{n}", "Zentralbank lässt Zinsen unverändert", "Neues Museum in {C} eröffnet"},
 {"Der Stadtrat von {C} hat {D} einen Haushalt von {N} Millionen Euro für die Sanierung von Straßen beschlossen.",
  "Die Landwirte meldeten eine Ernte, die um {n} Prozent über dem Vorjahr lag.",
  "{P}, Sprecherin des Klinikums, sagte, die Wartezeiten seien erneut gesunken.",
  "Die Zentralbank ließ den Leitzins unverändert und verwies auf die stabile Inflation.",
  "Die Karten für das Konzert in {C} waren nach {N} Minuten ausverkauft.",
  "Die Heimmannschaft gewann {D} mit {n}:{n} nach einem späten Tor.",
  "Der Wetterdienst erwartet bis zum Wochenende Starkregen in {C}.",
  "Technologiewerte legten {D} um {n} Prozent zu.",
  "Das neue Museum in {C} wurde für seine kühne Architektur gelobt.",
  "Die Weizenexporte Russlands sind in dieser Saison erneut gestiegen, sagten Händler in {C}.",
  "Anwohner in {C} beschweren sich über den Lärm der Stadionbaustelle."},
 " "},
{"ko", 0.075,
 {"news.example.kr", "ilbo-bench.example.kr", "tongshin.example.kr"},
 {"서울", "부산", "인천", "대구", "광주", "도쿄", "워싱턴", "베이징"},
 {"김민수", "이지은", "박준호", "최서연", "정하늘", "한도윤"},
 {"월요일", "화요일", "수요일", "목요일", "금요일"},
 {"더보기: ", "관련 기사: "},
 {"광고", "페이스북 &amp; 카카오톡 공유", "뉴스레터 구독하기", "사진=연합뉴스 &copy; {Y}"},
 {"북한, 러시아에 포탄 컨테이너 {N}개 제공",
  "푸틴·김정은 정상회담…군사협력 논의",
  "북러 조약 발효…상호 지원 의무",
  "북한군 쿠르스크 투입…{P} 밝혀",
  "유엔 안보리 결의 위반…러시아 대북제재 논란"},
 {"{P}에 따르면 북한은 {Y}년 이후 러시아에 포탄 컨테이너 {N}개 이상을 제공했다.",
  "블라디미르 푸틴 러시아 대통령은 {D} 평양에서 김정은 국무위원장과 {N}분간 회담했다.",
  "북러 조약은 한쪽이 공격받으면 상대방이 군사적 지원을 제공하도록 규정하고 있다.",
  "북한군 약 {N}명이 러시아 쿠르스크 지역에 투입돼 러시아군과 함께 전투에 참여했다고 {C} 당국이 밝혔다.",
  "{C}의 전문가들은 러시아가 탄약을 받는 대가로 북한에 군사기술을 이전할 수 있다고 본다.",
  "대북제재 이행을 감시하던 유엔 전문가 패널은 러시아의 거부권 행사로 해체됐다."},
 {"{C}시, 도로 예산 확정", "{C}에 이번 주 폭우 예보", "홈팀 {n}대{n} 승리",
  "한국은행 기준금리 동결", "{C}에 새 박물관 개관"},
 {"{C}시 의회는 {D} 도로 보수 예산 {N}억 원을 승인했다.",
  "농민들은 올해 수확량이 지난해보다 {n}% 늘었다고 말했다.",
  "{P} 지역 병원 대변인은 대기 시간이 석 달 연속 줄었다고 밝혔다.",
  "한국은행은 물가가 안정돼 기준금리를 동결했다.",
  "{C} 콘서트 입장권이 {N}분 만에 매진됐다고 주최 측이 전했다.",
  "홈팀은 {D} 후반 막판 골로 {n}대{n} 승리를 거뒀다.",
  "기상청은 주말까지 {C}에 많은 비가 내릴 것으로 예보했다.",
  "기술주는 {D} 장 초반 {n}% 상승했다.",
  "{C}의 새 박물관은 과감한 건축으로 호평을 받았다.",
  "{C} 주민들은 새 경기장 공사 소음에 불만을 제기했다."},
 " "},
{"ja", 0.05,
 {"news.example.jp", "shimbun-bench.example.jp", "tsushin.example.jp"},
 {"東京", "大阪", "名古屋", "札幌", "福岡", "ソウル", "北京", "ワシントン"},
 {"田中一郎", "佐藤花子", "鈴木健", "高橋美咲", "伊藤誠", "渡辺葵"},
 {"月曜日", "火曜日", "水曜日", "木曜日", "金曜日"},
 {"続きを読む：", "関連記事："},
 {"広告", "Facebook &amp; Xでシェア", "ニュースレターを購読する", "写真＝共同 &copy; {Y}"},
 {"北朝鮮、ロシアに砲弾コンテナ{N}個を供与",
  "プーチン氏と金正恩氏が首脳会談、軍事協力を協議",
  "ロ朝の包括的戦略パートナーシップ条約が発効",
  "北朝鮮兵がクルスク州に派遣、{P}氏が指摘"},
 {"{P}氏によると、北朝鮮は{Y}年以降、ロシアに砲弾のコンテナ{N}個以上を供与した。",
  "ロシアのプーチン大統領は{D}、平壌で金正恩総書記と{N}分間会談した。",
  "ロ朝の条約は、一方が攻撃された場合に相互援助を行うと定めている。",
  "北朝鮮兵約{N}人がロシアのクルスク州に派遣され、ロシア軍とともに戦闘に参加したと{C}の当局者が述べた。",
  "国連安保理の北朝鮮制裁を監視する専門家パネルは、ロシアの拒否権行使により活動を終えた。"},
 {"{C}市、道路予算を可決", "{C}で今週大雨の予報", "地元チームが{n}対{n}で勝利",
  "日銀、金利を据え置き", "{C}に新しい美術館が開館"},
 {"{C}市議会は{D}、道路補修のための予算{N}億円を可決した。",
  "農家によると、今年の収穫量は昨年より{n}％増えた。",
  "地域病院の広報担当の{P}氏は、待ち時間が三か月連続で短くなったと述べた。",
  "日本銀行は物価が安定しているとして金利を据え置いた。",
  "{C}でのコンサートのチケットは{N}分で完売したと主催者が明らかにした。",
  "地元チームは{D}、終盤のゴールで{n}対{n}で勝利した。",
  "気象庁は週末まで{C}で大雨が続くと予想している。",
  "{C}の新しい美術館は大胆な建築で評価された。"},
 ""},
{"uk", 0.05,
 {"novyny.example.ua", "pravda-bench.example.ua", "kyiv-news.example.ua"},
 {"Києві", "Львові", "Одесі", "Харкові", "Дніпрі", "Сеулі", "Варшаві", "Вінниці"},
 {"Олена Шевченко", "Андрій Коваль", "Ірина Бондар", "Тарас Мельник", "Оксана Ткаченко", "Богдан Лисенко"},
 {"у понеділок", "у вівторок", "у середу", "у четвер", "у п'ятницю"},
 {"Читайте також: ", "Читати далі: "},
 {"Реклама", "Поділитися у Telegram &amp; Facebook", "Підпишіться на розсилку", "Фото: Укрінформ &copy; {Y}"},
 {"КНДР передала Росії {N} контейнерів з боєприпасами",
  "Північнокорейські солдати воюють на Курщині, заявив {P}",
  "Росія і КНДР підписали договір про всеосяжне стратегічне партнерство",
  "Санкції ООН: Росію звинуватили в порушенні резолюцій щодо КНДР"},
 {"За даними {P}, з {Y} року КНДР передала Росії понад {N} контейнерів з артилерійськими снарядами.",
  "Близько {N} північнокорейських військових перекинули до Курської області, повідомили в {C}.",
  "Договір між Москвою та Пхеньяном передбачає взаємну допомогу у разі нападу.",
  "Експерти в {C} вважають, що Росія може передавати КНДР ракетні технології в обмін на боєприпаси.",
  "Група експертів ООН з санкцій проти КНДР припинила роботу після вето Росії в Раді безпеки."},
 {"У {C} затвердили бюджет на ремонт доріг", "Синоптики прогнозують дощі у {C}",
  "Місцева команда перемогла з рахунком {n}:{n}", "Нацбанк зберіг облікову ставку"},
 {"Міська рада в {C} {D} затвердила бюджет у {N} мільйонів гривень на ремонт доріг.",
  "Фермери повідомили, що врожай цього року на {n} відсотків більший, ніж торік.",
  "{P}, речниця обласної лікарні, повідомила, що черги скоротилися.",
  "Національний банк залишив облікову ставку без змін через стабільну інфляцію.",
  "Квитки на концерт у {C} розкупили за {N} хвилин, повідомили організатори.",
  "Місцева команда {D} перемогла з рахунком {n}:{n} завдяки голу наприкінці матчу.",
  "Синоптики очікують сильні дощі у {C} до кінця тижня.",
  "Новий музей у {C} критики назвали сміливим архітектурним рішенням."},
 " "},
{"zh", 0.025,
 {"xinwen.example.cn", "ribao-bench.example.tw", "huanqiu.example.cn"},
 {"北京", "上海", "广州", "深圳", "首尔", "东京", "台北", "香港"},
 {"王伟", "李娜", "张强", "刘洋", "陈静", "杨帆"},
 {"周一", "周二", "周三", "周四", "周五"},
 {"阅读更多：", "相关新闻："},
 {"广告", "分享到微博 &amp; 微信", "订阅我们的新闻简报", "图片来源：新华社 &copy; {Y}"},
 {"朝鲜向俄罗斯提供{N}个集装箱的炮弹", "普京与金正恩举行会谈讨论军事合作",
  "俄朝全面战略伙伴关系条约生效", "朝鲜士兵被调往库尔斯克前线"},
 {"据{P}称，自{Y}年以来朝鲜已向俄罗斯提供了{N}多个集装箱的炮弹。",
  "俄罗斯总统普京{D}在平壤与金正恩举行会谈，会谈持续了{N}分钟。",
  "俄朝条约规定，一方遭到攻击时另一方须提供军事援助。",
  "约{N}名朝鲜士兵被调往俄罗斯库尔斯克地区参战，{C}官员表示。",
  "联合国安理会对朝鲜制裁的专家小组因俄罗斯否决而解散。"},
 {"{C}市通过道路预算", "{C}本周将有大雨", "主队{n}比{n}获胜", "央行维持利率不变"},
 {"{C}市议会{D}通过了{N}万元的道路维修预算。",
  "农民们说今年的收成比去年增加了{n}%。",
  "地区医院发言人{P}表示，候诊时间连续三个月缩短。",
  "中央银行以通胀稳定为由维持利率不变。",
  "{C}演唱会的门票在{N}分钟内售罄，主办方表示。",
  "主队{D}凭借终场前的进球以{n}比{n}获胜。",
  "气象部门预计{C}本周末前将持续降雨。"},
 ""},
{"id", 0.025,
 {"berita.example.id", "harian-bench.example.id", "kabar.example.id"},
 {"Jakarta", "Surabaya", "Bandung", "Medan", "Seoul", "Makassar", "Yogyakarta", "Denpasar"},
 {"Budi Santoso", "Siti Rahayu", "Agus Pratama", "Dewi Lestari", "Rizky Hidayat", "Putri Anggraini"},
 {"Senin", "Selasa", "Rabu", "Kamis", "Jumat"},
 {"Baca juga: ", "Baca selengkapnya: "},
 {"Iklan", "Bagikan ke Facebook &amp; X", "Berlangganan buletin kami", "Foto: Antara &copy; {Y}"},
 {"Korea Utara memasok {N} kontainer amunisi ke Rusia", "Putin dan Kim Jong Un menggelar KTT soal kerja sama militer",
  "Tentara Korea Utara dikerahkan ke Kursk, kata {P}", "PBB: Rusia melanggar sanksi terhadap Korea Utara"},
 {"Menurut {P}, Korea Utara telah memasok lebih dari {N} kontainer peluru artileri ke Rusia sejak {Y}.",
  "Presiden Rusia Vladimir Putin bertemu Kim Jong Un di Pyongyang pada hari {D} dan keduanya berunding selama {N} menit.",
  "Perjanjian antara Moskow dan Pyongyang mewajibkan bantuan timbal balik jika salah satu pihak diserang.",
  "Sekitar {N} tentara Korea Utara dikerahkan ke wilayah Kursk untuk bertempur bersama pasukan Rusia, kata pejabat di {C}.",
  "Panel ahli PBB yang memantau sanksi terhadap Korea Utara dibubarkan setelah veto Rusia di Dewan Keamanan."},
 {"DPRD {C} setujui anggaran jalan", "Hujan lebat diperkirakan di {C}", "Tim tuan rumah menang {n}-{n}",
  "Bank sentral tahan suku bunga"},
 {"DPRD {C} pada hari {D} menyetujui anggaran {N} miliar rupiah untuk perbaikan jalan.",
  "Para petani mengatakan panen tahun ini {n} persen lebih besar dari tahun lalu.",
  "{P}, juru bicara rumah sakit daerah, mengatakan waktu tunggu pasien terus menurun.",
  "Bank sentral menahan suku bunga acuan karena inflasi tetap stabil.",
  "Tiket konser di {C} habis terjual dalam {N} menit, kata panitia.",
  "Tim tuan rumah menang {n}-{n} pada hari {D} berkat gol di menit akhir.",
  "BMKG memperkirakan hujan lebat di {C} hingga akhir pekan."},
 " "},
};
#define NC_NLANGS (sizeof nc_langs / sizeof nc_langs[0])

static size_t nc_count(const char *const *a, size_t max) {
    size_t n = 0;
    while (n < max && a[n]) n++;
    return n;
}
#define NC_PICK(rng, arr) ((arr)[nc_below(rng, (uint32_t)nc_count(arr, sizeof(arr) / sizeof(arr)[0]))])

/* Expand a template into b. */
static void nc_expand(nc_buf_t *b, const nc_lang_t *L, const char *t, uint64_t *rng) {
    char num[32];
    while (*t) {
        const char *o = strchr(t, '{');
        if (!o || !o[1] || o[2] != '}') { nc_puts(b, t); return; }
        nc_put(b, t, (size_t)(o - t));
        switch (o[1]) {
        case 'C': nc_puts(b, NC_PICK(rng, L->cities)); break;
        case 'P': nc_puts(b, NC_PICK(rng, L->people)); break;
        case 'D': nc_puts(b, NC_PICK(rng, L->days)); break;
        case 'N': snprintf(num, sizeof num, "%u", 2 + nc_below(rng, 4998)); nc_puts(b, num); break;
        case 'n': snprintf(num, sizeof num, "%u", nc_below(rng, 6)); nc_puts(b, num); break;
        case 'Y': snprintf(num, sizeof num, "%u", 2021 + nc_below(rng, 4)); nc_puts(b, num); break;
        case 'T': nc_expand(b, L, NC_PICK(rng, L->neg_titles), rng); break;
        default: nc_put(b, o, 3);
        }
        t = o + 3;
    }
}

/* Scraped-page noise applied to one sentence. */
static void nc_noisy_sentence(nc_buf_t *b, const nc_lang_t *L, const char *tmpl, uint64_t *rng) {
    uint32_t r = nc_below(rng, 100);
    if (r < 4) nc_puts(b, "<span class=\"hl\">");
    else if (r < 6) nc_puts(b, "<a href=\"https://example.com/tag/news\">");
    else if (r < 8) nc_puts(b, "&#8220;");
    nc_expand(b, L, tmpl, rng);
    if (r < 4) nc_puts(b, "</span>");
    else if (r < 6) nc_puts(b, "</a>");
    else if (r < 8) nc_puts(b, "&#8221;");
    if (nc_below(rng, 100) < 3) nc_puts(b, "&nbsp;");
}

typedef struct {
    const char *lang;
    int relevant; /* generated as relevant */
} nc_meta_t;

/* Pick the language of article i (exact proportions per block of 200). */
static const nc_lang_t *nc_lang_of(uint64_t seed, long i) {
    /* a fixed permutation of 200 slots, shared by all blocks of this seed */
    static uint64_t perm_seed = ~0ULL;
    static unsigned char slots[200];
    if (perm_seed != seed) {
        int k = 0;
        for (size_t l = 0; l < NC_NLANGS; l++) {
            int n = (int)(nc_langs[l].share * 200 + 0.5);
            for (int j = 0; j < n && k < 200; j++) slots[k++] = (unsigned char)l;
        }
        while (k < 200) slots[k++] = 0;
        uint64_t r = seed ^ 0x5EEDULL;
        for (int j = 199; j > 0; j--) {
            int m = (int)nc_below(&r, (uint32_t)j + 1);
            unsigned char t = slots[j]; slots[j] = slots[m]; slots[m] = t;
        }
        perm_seed = seed;
    }
    long blk = i / 200;
    uint64_t r = seed ^ ((uint64_t)blk * 0x9E3779B97F4A7C15ULL);
    int rot = (int)nc_below(&r, 200);
    return &nc_langs[slots[(i + rot) % 200]];
}

/* Article i of `seed` as one JSON line (no newline) into out (reset first).
 * id: NULL for "bench-<seed>-<i>". */
static void nc_article(uint64_t seed, long i, const char *id, nc_buf_t *out, nc_meta_t *meta) {
    static nc_buf_t title, body, s;
    uint64_t rng = seed * 0x2545F4914F6CDD1DULL ^ (uint64_t)i * 0x9E3779B97F4A7C15ULL;
    nc_splitmix(&rng);
    const nc_lang_t *L = nc_lang_of(seed, i);
    int rel = nc_unit(&rng) < 0.30;
    title.len = body.len = 0;
    nc_expand(&title, L, rel ? NC_PICK(&rng, L->rel_titles) : NC_PICK(&rng, L->neg_titles), &rng);

    size_t target = 1024 + nc_below(&rng, 5121); /* 1..6 KB */
    /* scraped noise at the top: the title again, a stray tag */
    if (nc_below(&rng, 100) < 40) { nc_put(&body, title.p, title.len); nc_puts(&body, "\n\n"); }
    if (nc_below(&rng, 100) < 20) nc_puts(&body, "<div class=\"article-body\">\n");
    int para = 0;
    for (;;) {
        s.len = 0;
        int nsent = 2 + (int)nc_below(&rng, 4);
        for (int k = 0; k < nsent; k++) {
            const char *tm;
            /* relevant articles: about a third of the sentences on topic,
             * always the first one (the lead) */
            if (rel && (k == 0 && para == 0 ? 1 : nc_below(&rng, 100) < 33)) tm = NC_PICK(&rng, L->rel_sents);
            else tm = NC_PICK(&rng, L->neg_sents);
            if (k) nc_puts(&s, L->sep);
            nc_noisy_sentence(&s, L, tm, &rng);
        }
        if (body.len + s.len + 2 > 6144) break;
        nc_put(&body, s.p, s.len);
        nc_puts(&body, "\n\n");
        para++;
        uint32_t r = nc_below(&rng, 100);
        if (r < 8) {
            nc_puts(&body, NC_PICK(&rng, L->read_more));
            nc_expand(&body, L, "{T}", &rng);
            nc_puts(&body, "\n\n");
        } else if (r < 13) {
            nc_expand(&body, L, NC_PICK(&rng, L->boiler), &rng);
            nc_puts(&body, "\n\n");
        } else if (r < 15) {
            nc_puts(&body, "<p></p><br/>\n");
        } else if (r < 17) {
            nc_puts(&body, "<script>var ad_slot = \"top\";</script>\n");
        }
        if (body.len >= target) break;
    }
    if (nc_below(&rng, 100) < 30) {
        nc_puts(&body, NC_PICK(&rng, L->read_more));
        nc_put(&body, title.p, title.len);
        nc_puts(&body, "\n");
    }
    if (nc_below(&rng, 100) < 20) nc_puts(&body, "</div>");

    char idb[64], when[32];
    if (!id) { snprintf(idb, sizeof idb, "bench-%llu-%ld", (unsigned long long)seed, i); id = idb; }
    long t = 1717200000L + i * 37; /* 2024-06-01 plus 37 s per article */
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const char *src = L->sources[nc_below(&rng, 3)];
    int with_lang = nc_below(&rng, 100) >= 20;

    out->len = 0;
    nc_puts(out, "{\"id\":\"");
    nc_put_json(out, id, strlen(id));
    nc_puts(out, "\",\"url\":\"https://");
    nc_puts(out, src);
    char path[96];
    snprintf(path, sizeof path, "/%04d/%02d/%02d/article-%ld", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, i);
    nc_puts(out, path);
    nc_puts(out, "\",\"source\":\"");
    nc_puts(out, src);
    if (with_lang) { nc_puts(out, "\",\"lang\":\""); nc_puts(out, L->code); }
    nc_puts(out, "\",\"published_at\":\"");
    nc_puts(out, when);
    nc_puts(out, "\",\"title\":\"");
    nc_put_json(out, title.p, title.len);
    nc_puts(out, "\",\"body\":\"");
    nc_put_json(out, body.p, body.len);
    nc_puts(out, "\"}");
    if (meta) { meta->lang = L->code; meta->relevant = rel; }
}
