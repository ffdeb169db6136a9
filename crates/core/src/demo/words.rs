//! Hungarian words for realistic demo data of a small business.

pub const SURNAMES: &[&str] = &[
    "Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga", "Kiss", "Molnár", "Németh", "Farkas",
    "Balogh", "Papp", "Takács", "Juhász", "Lakatos", "Mészáros", "Oláh", "Simon", "Rácz", "Fekete",
    "Szilágyi", "Török", "Fehér", "Balázs", "Gál", "Kis", "Szűcs", "Kocsis", "Orsós", "Pintér",
];

pub const GIVEN_NAMES: &[&str] = &[
    "László", "István", "József", "János", "Zoltán", "Sándor", "Gábor", "Ferenc", "Attila", "Péter",
    "Mária", "Erzsébet", "Katalin", "Éva", "Ilona", "Anna", "Zsuzsanna", "Judit", "Ágnes", "Andrea",
    "Tamás", "Krisztina", "Eszter", "Balázs", "Dóra", "Réka", "Bence", "Máté", "Noémi", "Csaba",
];

pub const TRADES: &[&str] = &[
    "Ablak", "Építő", "Villamos", "Könyvelő", "Nyomda", "Szerviz", "Fuvar", "Pékség", "Kertész",
    "Informatika", "Bútor", "Festék", "Gépjármű", "Optika", "Fogászat", "Vendéglátó", "Tervező",
    "Klíma", "Lakatos", "Textil", "Papír", "Tetőfedő", "Burkoló", "Asztalos", "Ügyviteli",
];

pub const COMPANY_FORMS: &[&str] = &["Kft.", "Bt.", "Zrt.", "Kft.", "Kft.", "e.v."];

pub const CITIES: &[(&str, &str)] = &[
    ("Budapest", "1111"), ("Debrecen", "4024"), ("Szeged", "6720"), ("Miskolc", "3525"), ("Pécs", "7621"),
    ("Győr", "9021"), ("Nyíregyháza", "4400"), ("Kecskemét", "6000"), ("Székesfehérvár", "8000"),
    ("Szombathely", "9700"), ("Eger", "3300"), ("Veszprém", "8200"), ("Sopron", "9400"), ("Vác", "2600"),
];

pub const STREETS: &[&str] = &[
    "Fő utca", "Kossuth Lajos utca", "Petőfi Sándor utca", "Rákóczi út", "Ady Endre utca", "Dózsa György út",
    "Széchenyi tér", "Béke utca", "Arany János utca", "Jókai Mór utca", "Bartók Béla út", "Váci út",
];

pub const ROLES: &[&str] = &["ügyvezető", "pénzügy", "beszerzés", "műszaki vezető", "titkárság", "tulajdonos"];

pub const PROJECTS: &[&str] = &[
    "Éves karbantartás", "Irodafelújítás", "Könyvelés 2026", "Weboldal", "Telephely bővítés", "Gépbeszerzés",
    "Szerviz szerződés", "Pályázat", "Bérszámfejtés", "Raktárrendezés", "Hálózat kiépítése", "Ajánlatkérés",
];

pub const SUB_PROJECTS: &[&str] = &["Előkészítés", "Kivitelezés", "Átadás", "Utókövetés", "Tervezés", "Számlázás"];

pub const TASKS: &[&str] = &[
    "Ajánlat küldése", "Visszahívás", "Számla kiállítása", "Szerződés előkészítése", "Helyszíni felmérés",
    "Havi adóelőleg utalása", "Árajánlat egyeztetése", "Anyagrendelés", "Teljesítésigazolás bekérése",
    "Fizetési emlékeztető küldése", "Bemutató egyeztetése", "Garanciális javítás", "Munkalap kitöltése",
    "Megrendelés visszaigazolása", "Ügyfélelégedettség felmérése", "Dokumentáció átadása", "Karbantartás ütemezése",
    "NAV bevallás ellenőrzése", "Ismétlődő szolgáltatás kiszámlázása", "Szállítás időpontjának egyeztetése",
];

pub const COMMENT_OPENINGS: &[&str] = &[
    "Telefonon beszéltem az ügyféllel,", "E-mailt küldtem,", "Személyesen egyeztettünk,", "Visszahívtak,",
    "Az ügyvezetővel beszéltem,", "Megkaptuk a választ,", "Nem vették fel a telefont,", "Levélben jelezték,",
];

pub const COMMENT_MIDDLES: &[&str] = &[
    "az ajánlatot átnézik és a jövő héten jeleznek", "kérik a számla módosítását", "a szállítási határidő csúszik",
    "elfogadták az árajánlatot", "további kedvezményt szeretnének", "a helyszíni felmérés időpontja megvan",
    "a szerződést aláírták", "a fizetés késik, emlékeztetőt küldünk", "új igényt jeleztek a karbantartásra",
    "a munkalapot aláírva visszaküldték", "panaszt tettek a késedelem miatt", "a megrendelést visszaigazolták",
];

pub const COMMENT_CLOSINGS: &[&str] = &[
    "Pénteken újra hívom őket.", "A részleteket csatoltam.", "Határidő: hónap vége.", "Rendben van.",
    "Várjuk a visszajelzést.", "Holnap egyeztetek a kollégákkal.", "A könyvelést értesítettem.", "",
];

pub const OUTCOMES: &[&str] = &[
    "Elküldve, az ügyfél visszaigazolta.", "Kifizetve.", "Aláírt szerződés megérkezett.", "Elvégezve, munkalap csatolva.",
    "Megrendelést kaptunk.", "Az ügyfél nem kérte, lezárva.", "Átutalva a NAV-nak.", "Kiszámlázva.",
];
