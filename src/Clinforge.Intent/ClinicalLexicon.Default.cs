namespace Clinforge.Intent;

public sealed partial class ClinicalLexicon
{
    /// <summary>The built-in v0 lexicon: dermatology (HAM10000 codes), chest X-ray, breast and a few common findings.</summary>
    public static ClinicalLexicon Default { get; } = CreateDefault();

    private static ClinicalLexicon CreateDefault() => new()
    {
        Concepts =
        [
            // Absence of disease. Not condition words: naming them never demands a class.
            Concept("normal", ConceptRole.Absence, "normal", "healthy", "no finding", "no abnormality", "unremarkable", "no disease", "disease free"),
            Concept("benign", ConceptRole.Absence, "benign", "non malignant", "noncancerous", "non cancerous"),

            Concept("malignant", ConceptRole.Finding, "malignant", "malignancy", "cancer", "cancerous", "carcinoma"),

            // Dermatology, with the HAM10000 / ISIC class codes that datasets use as folder names.
            Concept("melanoma", ConceptRole.Finding, ["malignant"], "melanoma", "mel", "malignant melanoma", "melanoma like"),
            Concept("nevus", ConceptRole.BenignFinding, ["benign"], "nevus", "mole", "nv", "melanocytic nevus", "nevus like"),
            Concept("bcc", ConceptRole.Finding, ["malignant"], "bcc", "basal cell carcinoma", "basal cell cancer", "basalioma"),
            Concept("scc", ConceptRole.Finding, ["malignant"], "scc", "squamous cell carcinoma"),
            Concept("akiec", ConceptRole.Finding, [], "akiec", "actinic keratosis", "bowen's disease", "intraepithelial carcinoma"),
            Concept("bkl", ConceptRole.BenignFinding, ["benign"], "bkl", "benign keratosis", "seborrheic keratosis", "solar lentigo", "lichen planus like keratosis"),
            Concept("df", ConceptRole.BenignFinding, ["benign"], "df", "dermatofibroma"),
            Concept("vasc", ConceptRole.BenignFinding, ["benign"], "vasc", "vascular lesion", "angioma", "hemangioma"),

            // Chest and musculoskeletal imaging.
            Concept("pneumothorax", ConceptRole.Finding, "pneumothorax", "ptx", "collapsed lung"),
            Concept("pneumonia", ConceptRole.Finding, "pneumonia"),
            Concept("tuberculosis", ConceptRole.Finding, "tuberculosis", "tb"),
            Concept("effusion", ConceptRole.Finding, "effusion", "pleural effusion"),
            Concept("fracture", ConceptRole.Finding, "fracture", "fx", "broken bone"),
            Concept("cardiomegaly", ConceptRole.Finding, "cardiomegaly", "enlarged heart"),
            Concept("atelectasis", ConceptRole.Finding, "atelectasis"),
            Concept("edema", ConceptRole.Finding, "edema", "pulmonary edema"),
            Concept("covid19", ConceptRole.Finding, "covid", "covid 19", "sars cov 2"),
            Concept("nodule", ConceptRole.Finding, "nodule", "lung nodule", "pulmonary nodule"),

            // Retinal OCT (OctMNIST class names).
            Concept("cnv", ConceptRole.Finding, "cnv", "choroidal neovascularization"),
            Concept("dme", ConceptRole.Finding, ["edema"], "dme", "diabetic macular edema", "macular edema"),
            Concept("drusen", ConceptRole.Finding, "drusen"),

            // Other common targets.
            Concept("diabetic_retinopathy", ConceptRole.Finding, "diabetic retinopathy"),
            Concept("glaucoma", ConceptRole.Finding, "glaucoma"),
            Concept("hemorrhage", ConceptRole.Finding, "hemorrhage", "intracranial hemorrhage"),
            Concept("polyp", ConceptRole.Finding, "polyp"),
        ],
        WordVariants = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["nevi"] = "nevus", ["naevi"] = "nevus", ["naevus"] = "nevus",
            ["metastases"] = "metastasis", ["keratoses"] = "keratosis", ["diagnoses"] = "diagnosis", ["children"] = "child",
            ["seborrhoeic"] = "seborrheic", ["diarrhoea"] = "diarrhea", ["oesophagus"] = "esophagus",
        },
        SpellingPrefixes =
        [
            new("haem", "hem"), new("oedem", "edem"), new("oesoph", "esoph"), new("paed", "ped"),
            new("anaem", "anem"), new("leukaem", "leukem"), new("ischaem", "ischem"), new("naev", "nev"),
            new("foet", "fet"), new("orthopaed", "orthoped"), new("gynaec", "gynec"), new("oestr", "estr"),
        ],
        SpellingSuffixes =
        [
            // Length floors keep short words (four, hour, wise, noise) out of the rewrite.
            new("our", "or", 6), new("isation", "ization", 8), new("ised", "ized", 7), new("ise", "ize", 7),
        ],
        NotPlural = new HashSet<string>(StringComparer.Ordinal)
        {
            "diabetes", "herpes", "series", "species", "measles", "mumps", "rabies", "scabies", "caries", "ptx", "covid",
        },
        NegativeClassWords = new HashSet<string>(StringComparer.Ordinal)
        {
            "other", "rest", "control", "negative", "none", "background", "normal", "healthy", "benign",
        },
        ClassNegators = new HashSet<string>(StringComparer.Ordinal) { "no", "non", "not", "without", "absent" },
    };

    private static ClinicalConcept Concept(string id, ConceptRole role, params string[] terms) => new(id, role, terms, []);

    private static ClinicalConcept Concept(string id, ConceptRole role, string[] broader, params string[] terms) => new(id, role, terms, broader);
}
