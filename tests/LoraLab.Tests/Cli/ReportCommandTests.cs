using System.Text.Json;
using LoraLab.Reports;
using LoraLab.Tests.Reports;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Cli;

public class ReportCommandTests
{
    [SkippableFact]
    public void CollectsRunRecordsAndSettingsAndRendersTheReport()
    {
        RequireFonts.Check();
        using var dir = new TempDir();
        var study = FakeStudy.Create();
        foreach (var run in study.Runs)
        {
            Directory.CreateDirectory(dir.File("runs/" + run.RunId));
            File.WriteAllText(dir.File($"runs/{run.RunId}/{RunCollection.RunRecordFile}"), JsonSerializer.Serialize(run, ReportJson.Options));
        }
        File.WriteAllText(dir.File("runs/" + RunCollection.SettingsFile), ReportJson.Serialize(study with { Runs = [] }));
        var collected = RunCollection.Collect(dir.File("runs"));
        Assert.Equal(study.Runs.Select(r => r.RunId).Order(), collected.Runs.Select(r => r.RunId).Order());
        Assert.Equal(study.Title, collected.Title);
        Assert.Equal(study.Findings.Count, collected.Findings.Count);

        var r = CliRun.Run("report", "--runs", dir.File("runs"), "--out", dir.File("report"));
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.True(File.Exists(dir.File("report/report.html")));
        Assert.True(File.Exists(dir.File("report/summary.md")));
        Assert.True(File.Exists(dir.File("report/learning_vs_forgetting.png")));
    }

    [Fact]
    public void AnEmptyRunsDirectoryIsAOneLineError()
    {
        using var dir = new TempDir();
        var r = CliRun.Run("report", "--runs", dir.Path, "--out", dir.File("out"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("run_record.json", r.StdErr);
        Assert.False(Directory.Exists(dir.File("out")));
    }
}
