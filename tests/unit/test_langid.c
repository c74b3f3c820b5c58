/* test_langid.c - language identification (nm_langid) over the thirty
 * languages newsmon reads, on sentences written for these tests. */
#include "nm_test_util.h"

#include "nm_langid.h"

typedef struct {
    const char *code, *text;
} sample_t;

/* One ordinary local-news sentence per language (the same story each time,
 * written for this test). */
static const sample_t samples[] = {
    {"en", "The city council met on Tuesday evening to discuss the new budget for schools and "
           "public transport, and several residents asked questions about the rising price of "
           "bus tickets."},
    {"fr", "Le conseil municipal s'est réuni mardi soir pour discuter du nouveau budget des écoles "
           "et des transports publics, et plusieurs habitants ont posé des questions sur la hausse "
           "du prix des billets de bus."},
    {"de", "Der Stadtrat traf sich am Dienstagabend, um über den neuen Haushalt für Schulen und den "
           "öffentlichen Nahverkehr zu beraten, und mehrere Bürger fragten nach den steigenden "
           "Preisen der Busfahrkarten."},
    {"es", "El ayuntamiento se reunió el martes por la noche para debatir el nuevo presupuesto de "
           "las escuelas y del transporte público, y varios vecinos preguntaron por la subida del "
           "precio de los billetes de autobús."},
    {"ru", "Городской совет собрался во вторник вечером, чтобы обсудить новый бюджет для школ и "
           "общественного транспорта, и несколько жителей задали вопросы о росте цен на билеты в "
           "автобусе."},
    {"uk", "Міська рада зібралася у вівторок увечері, щоб обговорити новий бюджет для шкіл і "
           "громадського транспорту, і кілька мешканців запитали про зростання цін на квитки в "
           "автобусі."},
    {"ko", "시의회는 화요일 저녁 학교와 대중교통을 위한 새 예산을 논의하기 위해 모였으며, 여러 "
           "주민이 버스 요금 인상에 대해 질문했다."},
    {"ja", "市議会は火曜日の夜、学校と公共交通のための新しい予算について話し合うために集まり、何人か"
           "の住民がバスの運賃の値上げについて質問した。"},
    {"zh", "市议会星期二晚上开会，讨论学校和公共交通的新预算，几位居民就公共汽车票价上涨提出了问题。"},
    /* Traditional characters are Chinese too (CLD2 says zh-Hant) */
    {"zh", "市議會星期二晚上開會，討論學校和公共交通的新預算，幾位居民就公共汽車票價上漲提出了問題。"},
    {"id", "Dewan kota bertemu pada Selasa malam untuk membahas anggaran baru bagi sekolah dan "
           "transportasi umum, dan beberapa warga bertanya tentang kenaikan harga tiket bus."},
    {"it", "Il consiglio comunale si è riunito martedì sera per discutere il nuovo bilancio delle "
           "scuole e dei trasporti pubblici, e diversi cittadini hanno fatto domande sull'aumento "
           "del prezzo dei biglietti dell'autobus."},
    {"pt", "A câmara municipal reuniu-se na terça-feira à noite para discutir o novo orçamento das "
           "escolas e dos transportes públicos, e vários moradores fizeram perguntas sobre o "
           "aumento do preço dos bilhetes de autocarro."},
    {"nl", "De gemeenteraad kwam dinsdagavond bijeen om de nieuwe begroting voor scholen en het "
           "openbaar vervoer te bespreken, en verschillende inwoners stelden vragen over de "
           "stijgende prijs van buskaartjes."},
    {"pl", "Rada miasta zebrała się we wtorek wieczorem, aby omówić nowy budżet dla szkół i "
           "transportu publicznego, a kilku mieszkańców pytało o rosnące ceny biletów "
           "autobusowych."},
    {"tr", "Belediye meclisi salı akşamı okullar ve toplu taşıma için yeni bütçeyi görüşmek üzere "
           "toplandı ve birçok vatandaş otobüs biletlerinin artan fiyatı hakkında sorular sordu."},
    {"vi", "Hội đồng thành phố đã họp vào tối thứ Ba để thảo luận về ngân sách mới cho trường học "
           "và giao thông công cộng, và nhiều người dân đã đặt câu hỏi về giá vé xe buýt tăng cao."},
    {"ar", "اجتمع مجلس المدينة مساء الثلاثاء لمناقشة الميزانية الجديدة للمدارس والنقل العام، وطرح "
           "عدد من السكان أسئلة حول ارتفاع أسعار تذاكر الحافلات."},
    {"fa", "شورای شهر سه‌شنبه شب برای بررسی بودجه جدید مدرسه‌ها و حمل و نقل عمومی تشکیل جلسه داد و "
           "چند نفر از ساکنان درباره افزایش قیمت بلیت اتوبوس پرسش کردند."},
    {"hi", "नगर परिषद की बैठक मंगलवार शाम को स्कूलों और सार्वजनिक परिवहन के नए बजट पर चर्चा करने के "
           "लिए हुई, और कई निवासियों ने बस टिकटों की बढ़ती कीमतों के बारे में सवाल पूछे।"},
    {"th", "สภาเมืองประชุมกันเมื่อคืนวันอังคารเพื่อหารือเกี่ยวกับงบประมาณใหม่สำหรับโรงเรียนและระบบขนส่ง"
           "สาธารณะ และชาวเมืองหลายคนได้ถามคำถามเกี่ยวกับราคาตั๋วรถโดยสารที่สูงขึ้น"},
    {"cs", "Městská rada se sešla v úterý večer, aby projednala nový rozpočet pro školy a veřejnou "
           "dopravu, a několik obyvatel se ptalo na rostoucí ceny jízdenek na autobus."},
    {"hu", "A városi tanács kedd este ülésezett, hogy megvitassa az iskolák és a tömegközlekedés új "
           "költségvetését, és több lakos kérdezett a buszjegyek emelkedő áráról."},
    {"ro", "Consiliul local s-a întrunit marți seara pentru a discuta noul buget pentru școli și "
           "transportul public, iar mai mulți locuitori au întrebat despre creșterea prețului "
           "biletelor de autobuz."},
    {"sk", "Mestské zastupiteľstvo sa zišlo v utorok večer, aby prerokovalo nový rozpočet pre školy "
           "a verejnú dopravu, a niekoľko obyvateľov sa pýtalo na rastúce ceny cestovných lístkov "
           "na autobus."},
    {"bn", "নগর পরিষদ মঙ্গলবার সন্ধ্যায় স্কুল ও গণপরিবহনের নতুন বাজেট নিয়ে আলোচনা করতে বৈঠকে বসে, এবং "
           "বেশ কয়েকজন বাসিন্দা বাসের টিকিটের দাম বাড়া নিয়ে প্রশ্ন করেন।"},
    {"ur", "شہر کی کونسل نے منگل کی شام اسکولوں اور عوامی ٹرانسپورٹ کے نئے بجٹ پر بات کرنے کے لیے "
           "اجلاس کیا، اور کئی شہریوں نے بس کے ٹکٹوں کی بڑھتی ہوئی قیمتوں کے بارے میں سوالات پوچھے۔"},
    {"bg", "Общинският съвет се събра във вторник вечерта, за да обсъди новия бюджет за училищата и "
           "обществения транспорт, и няколко жители попитаха за растящите цени на билетите за "
           "автобуса."},
    {"el", "Το δημοτικό συμβούλιο συνεδρίασε την Τρίτη το βράδυ για να συζητήσει τον νέο "
           "προϋπολογισμό για τα σχολεία και τις δημόσιες συγκοινωνίες, και αρκετοί κάτοικοι ρώτησαν "
           "για την αύξηση της τιμής των εισιτηρίων του λεωφορείου."},
    /* CLD2 says "iw", the corpora "he" */
    {"he", "מועצת העיר התכנסה ביום שלישי בערב כדי לדון בתקציב החדש לבתי הספר ולתחבורה הציבורית, "
           "וכמה תושבים שאלו על העלייה במחירי הכרטיסים לאוטובוס."},
    {"sv", "Kommunfullmäktige samlades på tisdagskvällen för att diskutera den nya budgeten för "
           "skolor och kollektivtrafik, och flera invånare ställde frågor om de stigande priserna "
           "på bussbiljetter."},
};

static const char *detect(const char *title, const char *body) {
    static char out[8];
    int ok = nm_langid_detect(title, strlen(title), body, strlen(body), out);
    assert_int_equal(ok, strcmp(out, "und") != 0);
    return out;
}

static void test_thirty_languages(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        const char *got = detect("", samples[i].text);
        if (strcmp(got, samples[i].code) != 0)
            fail_msg("%s sample detected as %s", samples[i].code, got);
        /* the same in the title */
        assert_string_equal(detect(samples[i].text, ""), samples[i].code);
    }
}

static void test_nothing_to_go_on_is_und(void **state) {
    (void)state;
    assert_string_equal(detect("", ""), "und");
    assert_string_equal(detect("!!!", "12345 ... 2026-12-01"), "und");
}

static void test_html_and_bad_bytes_are_skipped(void **state) {
    (void)state;
    /* French under markup, entities, invalid UTF-8 and NUL bytes */
    static const char body[] =
        "<div class=\"article-body\"><p>Le conseil municipal s&#39;est r&eacute;uni mardi soir "
        "\xff\xfe pour discuter du nouveau budget des \xc3 \xe9 coles et des transports publics, "
        "\0 et plusieurs habitants ont pos\xc3\xa9 des questions sur la hausse du prix.</p></div>";
    char out[8];
    assert_int_equal(nm_langid_detect("", 0, body, sizeof body - 1, out), 1);
    assert_string_equal(out, "fr");
    assert_int_equal(nm_langid_detect("\xff\xfe\xfd", 3, "\x80\x80", 2, out), 0);
    assert_string_equal(out, "und");
}

static void test_only_the_first_bytes_count(void **state) {
    (void)state;
    /* about 1.2 KB of Dutch, then English: the Dutch lead decides */
    size_t cap = 64 * 1024, n = 0;
    char *body = malloc(cap);
    assert_non_null(body);
    while (n < NM_LANGID_MAX_BYTES + 200)
        n += (size_t)snprintf(body + n, cap - n, "%s ", samples[13].text);
    while (n + 300 < cap) n += (size_t)snprintf(body + n, cap - n, "%s ", samples[0].text);
    char out[8];
    assert_int_equal(nm_langid_detect("", 0, body, n, out), 1);
    assert_string_equal(out, "nl");
    free(body);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thirty_languages),
        cmocka_unit_test(test_nothing_to_go_on_is_und),
        cmocka_unit_test(test_html_and_bad_bytes_are_skipped),
        cmocka_unit_test(test_only_the_first_bytes_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
