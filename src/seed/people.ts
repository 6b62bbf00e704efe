// The people and places of the demo world: sellers per origin, buyers per destination,
// cities of origin and the gateways where parcels meet customs.
import type { Rng } from "./rng";

export const ORIGIN_CITIES: Record<string, string[]> = {
  CN: ["Shenzhen", "Guangzhou", "Yiwu", "Shanghai", "Dongguan", "Hangzhou"],
  HK: ["Hong Kong"],
  US: ["Los Angeles, CA", "Chicago, IL", "Newark, NJ", "Dallas, TX"],
  GB: ["London", "Manchester", "Birmingham", "Leeds"],
  TR: ["Istanbul", "Izmir", "Bursa"],
  DE: ["Leipzig", "Hamburg", "Köln"],
  FR: ["Paris", "Lyon", "Roissy-en-France"],
  NL: ["Amsterdam", "Rotterdam", "Utrecht"],
};

/** Where a parcel meets customs in each destination: [postal, express]. */
export const GATEWAYS: Record<string, [string, string]> = {
  DE: ["Frankfurt am Main International Mail Processing Centre", "Leipzig/Halle Airport"],
  FR: ["Roissy-CDG International Mail Processing Centre", "Paris-CDG Roissy Fret"],
  NL: ["Amsterdam Schiphol International Mail Processing Centre", "Amsterdam Schiphol Cargo"],
  BE: ["Brussels X International Mail Processing Centre", "Liège Airport"],
  US: ["JFK International Mail Facility, New York", "Cincinnati/Northern Kentucky Airport"],
  GB: ["Heathrow Worldwide Distribution Centre", "East Midlands Airport"],
};

// ---- sellers

export const SELLER_STYLE: Record<string, { words: string[]; form: (w: string, trade: string) => string; addresses: string[] }> = {
  CN: {
    words: ["Huatai", "Jinlong", "Xinyuan", "Hengda", "Meilin", "Baoli", "Tianhe", "Ruixiang", "Fengyuan", "Kaida"],
    form: (w, t) => `${w} ${t} Co., Ltd.`,
    addresses: [
      "Room 1205, Block B, Tianan Cyber Park, Futian District, Shenzhen, Guangdong 518040",
      "No. 88 Keji Road, Nanshan District, Shenzhen, Guangdong 518057",
      "3F, No. 16 Huangpu Avenue, Tianhe District, Guangzhou, Guangdong 510620",
      "Unit 5, Building 2, Futian Market District 4, Yiwu, Zhejiang 322000",
      "No. 1288 Wenyi West Road, Yuhang District, Hangzhou, Zhejiang 311121",
      "Room 702, No. 999 Zhongshan Road, Dongguan, Guangdong 523000",
    ],
  },
  HK: {
    words: ["Victoria", "Harbour", "Golden Bauhinia", "Kowloon Star", "Pearl River"],
    form: (w, t) => `${w} ${t} (HK) Limited`,
    addresses: ["Flat 8, 12/F, Kwun Tong Industrial Centre, 472 Kwun Tong Road, Kowloon, Hong Kong", "Room 1503, 15/F, Tower 2, Nina Tower, 8 Yeung Uk Road, Tsuen Wan, Hong Kong"],
  },
  US: {
    words: ["Blue Ridge", "Pacific", "Lakeside", "Summit", "Liberty", "Redwood", "Prairie"],
    form: (w, t) => `${w} ${t} LLC`,
    addresses: ["1200 Commerce Blvd, Los Angeles, CA 90021", "455 W Fulton St, Chicago, IL 60661", "90 Port Street, Newark, NJ 07114", "2100 Logistics Pkwy, Dallas, TX 75261"],
  },
  GB: {
    words: ["Thames", "Pennine", "Albion", "Kingsway", "Highgate", "Mersey"],
    form: (w, t) => `${w} ${t} Ltd`,
    addresses: ["Unit 4, Riverside Industrial Estate, Leeds LS10 1AB", "27 Deansgate, Manchester M3 4LQ", "Unit 12, Park Royal Road, London NW10 7LQ"],
  },
  TR: {
    words: ["Anadolu", "Marmara", "Ege", "Boğaziçi", "Kapadokya"],
    form: (w, t) => `${w} ${t} Tic. Ltd. Şti.`,
    addresses: ["Merter Mah. Keresteciler Sit. No: 12, 34173 Güngören/İstanbul", "Atatürk Cad. No: 45, 35220 Konak/İzmir", "Organize Sanayi Bölgesi 5. Cad. No: 8, 16140 Nilüfer/Bursa"],
  },
  DE: {
    words: ["Nordwind", "Elbtal", "Rheinblick", "Schwarzwald"],
    form: (w, t) => `${w} ${t} GmbH`,
    addresses: ["Industriestraße 14, 04129 Leipzig", "Großer Burstah 31, 20457 Hamburg"],
  },
  FR: {
    words: ["Atelier Lumière", "Maison Colbert", "Rive Gauche"],
    form: (w, t) => `${w} ${t} SARL`,
    addresses: ["18 rue du Faubourg Saint-Antoine, 75011 Paris", "4 quai Saint-Antoine, 69002 Lyon"],
  },
  NL: {
    words: ["Oranje", "Delta", "Zuiderzee"],
    form: (w, t) => `${w} ${t} B.V.`,
    addresses: ["Kabelweg 37, 1014 BA Amsterdam", "Waalhaven Zuidzijde 21, 3089 JH Rotterdam"],
  },
};

// ---- buyers

export interface BuyerStyle {
  first: string[];
  last: string[];
  tld: string;
  address: (r: Rng) => [address: string, city: string];
}

export const BUYERS: Record<string, BuyerStyle> = {
  DE: {
    first: ["Lukas", "Anna", "Jonas", "Lea", "Felix", "Marie", "Paul", "Sophie", "Maximilian", "Hannah", "Jürgen", "Sabine"],
    last: ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Schäfer", "Koch", "Richter"],
    tld: "de",
    address: (r) => {
      const [zip, city] = r.pick([["10115", "Berlin"], ["20095", "Hamburg"], ["80331", "München"], ["50667", "Köln"], ["60311", "Frankfurt am Main"], ["70173", "Stuttgart"], ["04109", "Leipzig"], ["28195", "Bremen"]] as const);
      const street = r.pick(["Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße", "Goethestraße", "Lindenallee", "Berliner Straße", "Am Markt"]);
      return [`${street} ${r.int(1, 120)}, ${zip} ${city}`, city];
    },
  },
  FR: {
    first: ["Camille", "Louis", "Léa", "Hugo", "Chloé", "Lucas", "Manon", "Gabriel", "Élodie", "Thomas"],
    last: ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"],
    tld: "fr",
    address: (r) => {
      const [zip, city] = r.pick([["75011", "Paris"], ["69002", "Lyon"], ["13001", "Marseille"], ["31000", "Toulouse"], ["33000", "Bordeaux"], ["59000", "Lille"], ["44000", "Nantes"]] as const);
      const street = r.pick(["rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Voltaire", "rue des Lilas", "place du Marché"]);
      return [`${r.int(1, 90)} ${street}, ${zip} ${city}`, city];
    },
  },
  NL: {
    first: ["Daan", "Emma", "Sem", "Julia", "Lucas", "Sophie", "Milan", "Tess", "Bram", "Fleur"],
    last: ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit", "Meijer", "de Boer"],
    tld: "nl",
    address: (r) => {
      const [zip, city] = r.pick([["1017 GC", "Amsterdam"], ["3011 AD", "Rotterdam"], ["2511 BT", "Den Haag"], ["3511 LX", "Utrecht"], ["5611 AZ", "Eindhoven"]] as const);
      const street = r.pick(["Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsplein", "Prinsengracht", "Nieuwstraat"]);
      return [`${street} ${r.int(1, 250)}, ${zip} ${city}`, city];
    },
  },
  BE: {
    first: ["Lucas", "Emma", "Noah", "Louise", "Arthur", "Olivia", "Jules", "Elise", "Wout", "Lotte"],
    last: ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Dubois", "Lambert"],
    tld: "be",
    address: (r) => {
      const [street, zip, city] = r.pick([["Rue Neuve", "1000", "Bruxelles"], ["Meir", "2000", "Antwerpen"], ["Veldstraat", "9000", "Gent"], ["Rue Léopold", "4000", "Liège"], ["Steenstraat", "8000", "Brugge"]] as const);
      return [`${street} ${r.int(1, 150)}, ${zip} ${city}`, city];
    },
  },
  US: {
    first: ["James", "Mary", "Michael", "Jennifer", "David", "Linda", "Daniel", "Emily", "Chris", "Ashley", "Carlos", "Grace"],
    last: ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Taylor", "Nguyen"],
    tld: "com",
    address: (r) => {
      const [city, st, zip] = r.pick([["Springfield", "IL", "62704"], ["Austin", "TX", "78701"], ["Portland", "OR", "97205"], ["Columbus", "OH", "43215"], ["Denver", "CO", "80202"], ["Orlando", "FL", "32801"], ["Seattle", "WA", "98101"]] as const);
      const street = r.pick(["Maple Ave", "Oak St", "Elm Street", "Washington Blvd", "Park Lane", "Cedar Rd", "Main St"]);
      return [`${r.int(10, 9899)} ${street}, ${city}, ${st} ${zip}`, city];
    },
  },
  GB: {
    first: ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily", "Charlie", "Sophie", "Priya", "Mohammed"],
    last: ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts", "Patel", "Khan", "Walker"],
    tld: "co.uk",
    address: (r) => {
      const [city, pc] = r.pick([["Manchester", "M1 1AE"], ["London", "SW1A 2AA"], ["Bristol", "BS1 4DJ"], ["Leeds", "LS1 4AP"], ["Glasgow", "G1 1XQ"], ["Cardiff", "CF10 1EP"], ["Belfast", "BT1 5GS"]] as const);
      const street = r.pick(["High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue", "Mill Lane"]);
      return [`${r.int(1, 180)} ${street}, ${city} ${pc}`, city];
    },
  },
};

export function ascii(s: string): string {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9]+/g, "")
    .toLowerCase();
}

