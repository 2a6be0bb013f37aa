//! Which language a job title is written in, by a documented heuristic (docs/CUSTOMIZATION.md "make eval").
//!
//! Titles are a few words long, mix languages and borrow English freely, so statistical detectors (trained on
//! sentences) guess poorly. The heuristic counts marks of each language: letters (ä ö ü ß for German, é è ê ç à
//! for French, ñ ¿ for Spanish), function words (und, der, für / de, du, et, chargé / del, y, jefe) and typical word
//! endings (-ung, -leiter, -in; -eur, -rice; -ción, -ero). The language with most marks wins, German before French
//! before Spanish on a tie; a title with no mark is English.

pub const LANGUAGES: [&str; 4] = ["de", "en", "fr", "es"];

const GERMAN_WORDS: &[&str] = &[
    "und",
    "der",
    "die",
    "das",
    "des",
    "dem",
    "den",
    "fur",
    "für",
    "mit",
    "im",
    "bei",
    "von",
    "zur",
    "zum",
    "leiter",
    "leiterin",
    "leitung",
    "vertrieb",
    "verkauf",
    "mitarbeiter",
    "mitarbeiterin",
    "inhaber",
    "inhaberin",
    "stellv",
    "kaufm",
    "techn",
    "bereich",
    "abteilung",
    "vorstand",
    "gesellschafter",
    "berater",
    "beraterin",
    "referent",
    "referentin",
    "sachbearbeiter",
    "sachbearbeiterin",
    "kundenbetreuer",
    "geschaftsfuhrer",
    "geschäftsführer",
    "assistenz",
    "einkauf",
    "vorsitzender",
    "prokurist",
    "gruppenleiter",
    "teamleiter",
    "projektleiter",
];
const GERMAN_ENDINGS: &[&str] =
    &["ung", "leiter", "leiterin", "führer", "fuhrer", "fuhrerin", "führerin", "erin", "schaft", "ntin", "vertrieb"];
const FRENCH_WORDS: &[&str] = &[
    "du",
    "des",
    "le",
    "les",
    "et",
    "chef",
    "charge",
    "chargé",
    "chargée",
    "directeur",
    "directrice",
    "responsable",
    "adjoint",
    "adjointe",
    "ingenieur",
    "ingénieur",
    "gerant",
    "gérant",
    "associé",
    "président",
    "commerciale",
    "générale",
    "conseiller",
    "conseillère",
    "développement",
    "marché",
    "projet",
    "d'affaires",
];
const FRENCH_ENDINGS: &[&str] = &["eur", "rice", "ée", "ère"];
const SPANISH_WORDS: &[&str] = &[
    "del",
    "y",
    "jefe",
    "jefa",
    "gerente",
    "ventas",
    "desarrollo",
    "ejecutivo",
    "ejecutiva",
    "fundador",
    "fundadora",
    "presidente",
    "presidenta",
    "dueño",
    "dueña",
    "propietario",
    "propietaria",
    "consejero",
    "consejera",
    "socio",
    "directora",
    "administrador",
    "negocios",
];
const SPANISH_ENDINGS: &[&str] = &["ción", "ero", "era"];

/// "de", "en", "fr" or "es".
pub fn detect(title: &str) -> &'static str {
    let lower = title.to_lowercase();
    let mut scores = [0u32; 3];
    for c in lower.chars() {
        match c {
            'ä' | 'ö' | 'ü' | 'ß' => scores[0] += 2,
            'é' | 'è' | 'ê' | 'ç' | 'à' | 'ô' | 'î' | 'œ' => scores[1] += 2,
            'ñ' | '¿' | 'á' | 'í' | 'ó' | 'ú' => scores[2] += 2,
            _ => {}
        }
    }
    for word in lower.split(|c: char| !c.is_alphanumeric() && c != '\'') {
        if word.len() < 2 && word != "y" {
            continue;
        }
        // Shared by French and Spanish.
        if word == "de" || word == "la" {
            scores[1] += 1;
            scores[2] += 1;
            continue;
        }
        let marks = [(GERMAN_WORDS, GERMAN_ENDINGS), (FRENCH_WORDS, FRENCH_ENDINGS), (SPANISH_WORDS, SPANISH_ENDINGS)];
        for (index, (words, endings)) in marks.iter().enumerate() {
            if words.contains(&word) {
                scores[index] += 2;
            } else if word.len() > 5 && endings.iter().any(|ending| word.ends_with(ending)) {
                scores[index] += 1;
            }
        }
    }
    // English borrows "director"; French and Spanish share "de": a lone weak mark is not enough.
    let best = (0..3).max_by_key(|&i| (scores[i], 3 - i)).unwrap_or(0);
    if scores[best] < 2 {
        return "en";
    }
    ["de", "fr", "es"][best]
}

#[cfg(test)]
mod tests {
    #[test]
    fn common_titles() {
        assert_eq!(super::detect("Geschäftsführer"), "de");
        assert_eq!(super::detect("Leiter Vertrieb und Marketing"), "de");
        assert_eq!(super::detect("Head of Sales"), "en");
        assert_eq!(super::detect("Directeur général adjoint"), "fr");
        assert_eq!(super::detect("Jefe de ventas"), "es");
    }
}
