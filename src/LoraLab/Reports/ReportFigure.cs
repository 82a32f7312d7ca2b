namespace LoraLab.Reports;

/// <summary>One rendered figure of the report: its PNG file name, heading, caption and bytes.</summary>
public sealed record ReportFigure(string FileName, string Title, string Caption, byte[] Png);
