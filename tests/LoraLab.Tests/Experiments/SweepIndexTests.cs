using System.Text.Json;
using LoraLab.Experiments;
using LoraLab.Tests.TestSupport;
using Microsoft.Data.Sqlite;

namespace LoraLab.Tests.Experiments;

public class SweepIndexTests
{
    private const string Grid = "  method: [lora, full]\n  lora.r: [4, 8]\n  optimizer.lr: [1e-4, 3e-4]"; // 4 lora + 2 full

    /// <summary>Counts rows with a plain connection of its own (not the index's), as another process would.</summary>
    private static (long Rows, long Distinct) Count(string runRoot)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = SweepIndex.PathFor(runRoot), Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*), COUNT(DISTINCT point_id) FROM runs";
        using var r = cmd.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1));
    }

    [Fact]
    public void RowsSurviveReopeningAndMatchTheResultFiles()
    {
        using var dir = new TempDir();
        var plan = SweepPlan.Load(SweepFiles.Write(dir, Grid));
        var runner = new FakePointRunner();
        runner.FailIds.Add(plan.Points[2].Id);
        SweepRunner.Run(plan, runner, new SweepRunOptions(), CancellationToken.None); // the whole sweep: writes the index as it goes
        Assert.Equal((6L, 6L), Count(plan.RunRoot));

        using (var index = SweepIndex.Open(plan.RunRoot)) // a fresh connection
        {
            var rows = index.Rows();
            Assert.Equal(plan.Points.Select(p => p.Id).Order(StringComparer.Ordinal), rows.Select(r => r.PointId));
            foreach (var p in plan.Points)
            {
                var row = rows.Single(r => r.PointId == p.Id);
                var file = SweepResultFile.Read(p.ResultPath);
                Assert.Equal(file.Sweep, row.Sweep);
                Assert.Equal("study", row.Sweep);
                Assert.Equal(file.Method, row.Method);
                Assert.Equal(file.Rank, row.Rank);
                Assert.Equal(file.Lr, row.Lr);
                Assert.Equal(file.Targets, row.Targets);
                Assert.Equal(file.Duration, row.Duration);
                Assert.Equal(file.Seed, row.Seed);
                Assert.Equal(SweepResultFile.StatusText(file.Result.Status), row.Status);
                Assert.Equal(file.Result.FinalTrainLoss, row.FinalLoss);
                Assert.Equal(file.Result.TargetScore, row.TargetScore);
                Assert.Equal(file.Result.ForgettingScore, row.ForgettingScore);
                Assert.Equal(file.Result.Error, row.Error);
                Assert.Equal(file.FinishedAt!.Value, DateTimeOffset.Parse(row.UpdatedAt, System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(file.Overrides, JsonSerializer.Deserialize<List<string>>(row.OverridesJson));
                Assert.Equal(file.Result.Metrics, JsonSerializer.Deserialize<Dictionary<string, double>>(row.MetricsJson)!);
            }
            // and against the fake's closed-form values, independently of result.json
            var r8 = rows.Single(r => r.PointId == "lora-r8-q-lr3e-04-dur10ba-s17");
            Assert.Equal((8, 3e-4, "q", "10ba", 17L), (r8.Rank!.Value, r8.Lr!.Value, r8.Targets!, r8.Duration!, r8.Seed!.Value));
            Assert.Equal(2 + 1.7 + 0.008, r8.FinalLoss!.Value, 12);
            Assert.Equal(0.3, r8.TargetScore!.Value, 12);
            Assert.Equal(0.08, r8.ForgettingScore!.Value, 12);
            var full = rows.Single(r => r.PointId == "full-lr1e-04-dur10ba-s17");
            Assert.Equal(("full", (int?)null, (string?)null, 0.0), (full.Method, full.Rank, full.Targets, full.ForgettingScore!.Value));
            var failed = rows.Single(r => r.PointId == plan.Points[2].Id);
            Assert.Equal(("failed", "diverged: loss is NaN", (double?)null), (failed.Status, failed.Error, failed.FinalLoss));
        }

        // re-run: the failed point runs again and its row is updated in place
        SweepRunner.Run(plan, new FakePointRunner(), new SweepRunOptions(), CancellationToken.None);
        Assert.Equal((6L, 6L), Count(plan.RunRoot));
        using (var index = SweepIndex.Open(plan.RunRoot))
            Assert.Equal("ok", index.Get(plan.Points[2].Id)!.Status);
    }

    [Fact]
    public void SyncRebuildsFromTheFilesWithoutDuplicates()
    {
        using var dir = new TempDir();
        var plan = SweepPlan.Load(SweepFiles.Write(dir, Grid));
        for (int i = 0; i < plan.Points.Count; i++) // as array tasks: no index written
            SweepRunner.Run(plan, new FakePointRunner(), new SweepRunOptions { Index = i }, CancellationToken.None);
        Assert.False(File.Exists(SweepIndex.PathFor(plan.RunRoot)));

        IReadOnlyList<SweepIndexRow> before;
        using (var index = SweepIndex.Open(plan.RunRoot))
        {
            Assert.Equal((6, 0), index.Sync(plan.RunRoot));
            Assert.Equal((6, 0), index.Sync(plan.RunRoot)); // idempotent
            before = index.Rows();
        }
        Assert.Equal((6L, 6L), Count(plan.RunRoot));

        // the files are the truth: a deleted result.json removes its row; a rebuilt index equals the old one
        File.Delete(plan.Points[0].ResultPath);
        using (var index = SweepIndex.Open(plan.RunRoot))
        {
            Assert.Equal((5, 1), index.Sync(plan.RunRoot));
            Assert.Null(index.Get(plan.Points[0].Id));
        }
        SweepRunner.Run(plan, new FakePointRunner(), new SweepRunOptions { Index = 0 }, CancellationToken.None);
        File.Delete(SweepIndex.PathFor(plan.RunRoot));
        using (var index = SweepIndex.Open(plan.RunRoot))
        {
            index.Sync(plan.RunRoot);
            var after = index.Rows();
            Assert.Equal(before.Where(r => r.PointId != plan.Points[0].Id), after.Where(r => r.PointId != plan.Points[0].Id));
            Assert.Equal(6, after.Count);
        }
    }
}
