namespace Clinforge.Data;

/// <summary>
/// Which DICOM header fields become metadata columns and which identify a person and are dropped.
/// The identifying list follows the attributes PS3.15 Annex E (Basic Application Level Confidentiality
/// Profile) removes or replaces that a classification dataset could carry in its header: names, ids,
/// dates of birth, addresses, accession and study ids, institution and device names.
/// </summary>
public static class DicomPrivacy
{
    /// <summary>The metadata column holding pixel spacing ("row\column" in mm).</summary>
    public const string PixelSpacingColumn = "pixel_spacing";

    /// <summary>Header fields kept as metadata columns (column name, group, element): usable for subgroup and confounder analysis.</summary>
    public static IReadOnlyList<(string Name, ushort Group, ushort Element)> MetadataTags { get; } =
    [
        ("modality", 0x0008, 0x0060),
        ("manufacturer", 0x0008, 0x0070),
        ("scanner_model", 0x0008, 0x1090),
        ("view_position", 0x0018, 0x5101),
        ("body_part", 0x0018, 0x0015),
        ("age", 0x0010, 0x1010),
        ("sex", 0x0010, 0x0040),
        (PixelSpacingColumn, 0x0028, 0x0030),
    ];

    /// <summary>Identifying fields (name, group, element): their presence is recorded, their values never leave the reader.</summary>
    public static IReadOnlyList<(string Name, ushort Group, ushort Element)> IdentifyingTags { get; } =
    [
        ("PatientName", 0x0010, 0x0010),
        ("PatientID", 0x0010, 0x0020),
        ("IssuerOfPatientID", 0x0010, 0x0021),
        ("PatientBirthDate", 0x0010, 0x0030),
        ("PatientBirthTime", 0x0010, 0x0032),
        ("OtherPatientIDs", 0x0010, 0x1000),
        ("OtherPatientNames", 0x0010, 0x1001),
        ("PatientBirthName", 0x0010, 0x1005),
        ("PatientAddress", 0x0010, 0x1040),
        ("PatientMotherBirthName", 0x0010, 0x1060),
        ("PatientTelephoneNumbers", 0x0010, 0x2154),
        ("MedicalRecordLocator", 0x0010, 0x1090),
        ("AccessionNumber", 0x0008, 0x0050),
        ("StudyID", 0x0020, 0x0010),
        ("StudyDate", 0x0008, 0x0020),
        ("AcquisitionDateTime", 0x0008, 0x002A),
        ("InstitutionName", 0x0008, 0x0080),
        ("InstitutionAddress", 0x0008, 0x0081),
        ("InstitutionalDepartmentName", 0x0008, 0x1040),
        ("ReferringPhysicianName", 0x0008, 0x0090),
        ("PerformingPhysicianName", 0x0008, 0x1050),
        ("NameOfPhysiciansReadingStudy", 0x0008, 0x1060),
        ("OperatorsName", 0x0008, 0x1070),
        ("StationName", 0x0008, 0x1010),
        ("DeviceSerialNumber", 0x0018, 0x1000),
        ("RequestingPhysician", 0x0032, 0x1032),
    ];
}
