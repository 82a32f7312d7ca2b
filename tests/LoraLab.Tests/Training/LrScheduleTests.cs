using LoraLab.Training;

namespace LoraLab.Tests.Training;

public class LrScheduleTests
{
    private const double Tol = 1e-12;

    [Fact]
    public void ConstantWithWarmup()
    {
        var s = new ConstantWithWarmupSchedule(tWarmup: 10, tMax: 100, alpha: 0.5);
        Assert.Equal(0.0, s.Alpha(0), Tol);
        Assert.Equal(0.25, s.Alpha(5), Tol); // 0.5 · 5/10
        Assert.Equal(0.5, s.Alpha(10), Tol);
        Assert.Equal(0.5, s.Alpha(99), Tol);
        Assert.Equal(1.0, new ConstantWithWarmupSchedule(0, 100).Alpha(0), Tol); // no warmup
    }

    [Fact]
    public void LinearWithWarmup()
    {
        var s = new LinearWithWarmupSchedule(tWarmup: 10, tMax: 110, alphaI: 1.0, alphaF: 0.2);
        Assert.Equal(0.3, s.Alpha(3), Tol);
        Assert.Equal(1.0, s.Alpha(10), Tol);
        Assert.Equal(0.6, s.Alpha(60), Tol); // 1 + (0.2 − 1)·50/100
        Assert.Equal(0.2, s.Alpha(110), Tol);
        Assert.Equal(0.2, s.Alpha(200), Tol); // clipped after t_max
    }

    [Fact]
    public void CosineWithWarmup()
    {
        var s = new CosineWithWarmupSchedule(tWarmup: 20, tMax: 120, alphaF: 0.1);
        Assert.Equal(0.0, s.Alpha(0), Tol);
        Assert.Equal(0.5, s.Alpha(10), Tol);
        Assert.Equal(1.0, s.Alpha(20), Tol);
        // τ = 0.5: 0.1 + 0.9·0.5·(1 + cos(π/2)) = 0.55
        Assert.Equal(0.55, s.Alpha(70), Tol);
        // τ = 0.25: 0.1 + 0.9·0.5·(1 + √2/2) = 0.868198051533946
        Assert.Equal(0.868198051533946, s.Alpha(45), 1e-12);
        Assert.Equal(0.1, s.Alpha(120), Tol);
    }

    [Fact]
    public void FractionalWarmupFromTokensMatchesComposerTokenComparison()
    {
        // t_warmup = 1000tok at 300 tok/batch = 3.333 batches: after 3 batches (900 tokens) α = 900/1000.
        var ctx = new DurationContext(300, null, Duration.Parse("30ba"));
        var s = new CosineWithWarmupSchedule(Duration.Parse("1000tok").ToBatches(ctx), 30);
        Assert.Equal(0.9, s.Alpha(3), 1e-12);
    }

    [Fact]
    public void InverseSqrtWithWarmupAndCooldown()
    {
        // t_warmup 100, t_scale 100, t_cooldown 200, t_max 1000, α_f,decay 0.1, α_f,cooldown 0 → cooldown starts at 800.
        var s = new InverseSqrtWithWarmupSchedule(tWarmup: 100, tScale: 100, tCooldown: 200, tMax: 1000, alphaFDecay: 0.1, alphaFCooldown: 0.0);
        Assert.Equal(0.0, s.Alpha(0), Tol);
        Assert.Equal(0.5, s.Alpha(50), Tol);
        Assert.Equal(1.0, s.Alpha(100), Tol); // end of warmup
        // t = 400: 0.1 + 0.9·sqrt(100 / (400 − 100 + 100)) = 0.1 + 0.9·0.5 = 0.55
        Assert.Equal(0.55, s.Alpha(400), Tol);
        // cooldown start t = 800: α_c = 0.1 + 0.9·sqrt(100/800) = 0.1 + 0.9·0.3535533905932738 = 0.41819805153394637
        const double alphaC = 0.41819805153394637;
        Assert.Equal(800, s.CooldownStart);
        Assert.Equal(alphaC, s.Alpha(800), 1e-12);
        Assert.Equal(0.1 + 0.9 * Math.Sqrt(100.0 / 799.0), s.Alpha(799), 1e-12); // last decay step
        Assert.Equal(alphaC / 2, s.Alpha(900), 1e-12); // half way down to 0
        Assert.Equal(0.0, s.Alpha(1000), Tol); // t_max = α_f,cooldown
    }

    [Fact]
    public void InverseSqrtValidatesItsTimes()
    {
        Assert.Contains("t_scale", Assert.Throws<LoraLabException>(() => new InverseSqrtWithWarmupSchedule(10, 0, 10, 100)).Message);
        Assert.Contains("exceeds t_max", Assert.Throws<LoraLabException>(() => new InverseSqrtWithWarmupSchedule(60, 10, 50, 100)).Message);
        Assert.Contains("longer than t_max", Assert.Throws<LoraLabException>(() => new CosineWithWarmupSchedule(200, 100)).Message);
    }

    [Fact]
    public void CooldownFromACheckpoint()
    {
        // A long run (t_max 10000, cooldown 100) checkpointed at step 500, resumed with t_max = 600:
        // the cooldown now spans 500..600 and starts from the decay value at 500.
        var longRun = new InverseSqrtWithWarmupSchedule(tWarmup: 50, tScale: 50, tCooldown: 100, tMax: 10000, alphaFDecay: 0.0, alphaFCooldown: 0.0);
        var resumed = (InverseSqrtWithWarmupSchedule)longRun.WithMaxDuration(600);
        double decayAt500 = Math.Sqrt(50.0 / 500.0); // sqrt(t_scale / (500 − 50 + 50)) = 0.31622776601683794
        Assert.Equal(0.31622776601683794, decayAt500, 1e-15);
        Assert.Equal(500, resumed.CooldownStart);
        Assert.Equal(longRun.Alpha(499), resumed.Alpha(499), Tol); // unchanged before the cooldown
        Assert.Equal(Math.Sqrt(50.0 / 499.0), resumed.Alpha(499), 1e-12); // just before cooldown: the decay value
        Assert.Equal(decayAt500, resumed.Alpha(500), 1e-12); // continuous at the cooldown start
        Assert.Equal(decayAt500 * 0.75, resumed.Alpha(525), 1e-12);
        Assert.Equal(0.0, resumed.Alpha(600), Tol);
    }
}
