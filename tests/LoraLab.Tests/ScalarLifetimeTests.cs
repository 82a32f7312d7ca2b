using System.Reflection;
using System.Reflection.Metadata;
using LoraLab.Tests.TestSupport;
using TorchSharp;

namespace LoraLab.Tests;

/// <summary>
/// The library and its tests pass libtorch only Scalars they hold. A TorchSharp <c>Scalar</c> owns a native object and
/// has a finaliser; one made on the fly (an implicit <c>double → Scalar</c> conversion, or a TorchSharp method that makes
/// one inside, such as <c>add_(Tensor)</c> with its default alpha) is unreferenced as soon as its handle has been read,
/// so a collection started by another thread can free it while libtorch still reads it. CI saw that as "Unknown scalar
/// type" and failed <c>toFloat</c>/<c>toDouble</c> checks. The rule, checked here on the compiled library and on this
/// test assembly (tests run in parallel, so theirs race collections too): no implicit conversion to <c>Scalar</c> or of a
/// number to a <c>Tensor</c>, and no call to a TorchSharp method that makes a Scalar of its own (found in TorchSharp's
/// IL: every method that reaches a Scalar conversion). Hold it instead: <c>using Scalar s = value.ToScalar();</c>, and
/// pass <c>s</c>, or the rooted <c>Kernels.Scalars.One</c> / <c>Zero</c>. Names of conversions in strings here are data,
/// not calls.
/// </summary>
public sealed class ScalarLifetimeTests
{
    private static readonly Lazy<HashSet<string>> Makers = new(TorchSharpScalarMakers);

    [Fact]
    public void TheLibraryPassesLibtorchOnlyScalarsItHolds() =>
        AssertNoScalarsMadeOnTheFly(typeof(LoraLab.Kernels.KernelSwitch).Assembly, typeof(LoraLab.Cli.Program).Assembly);

    [Fact]
    public void TheTestsPassLibtorchOnlyScalarsTheyHold() => AssertNoScalarsMadeOnTheFly(typeof(ScalarLifetimeTests).Assembly);

    [Fact]
    public void TheCheckFindsTorchSharpMethodsThatMakeAScalarInside()
    {
        var makers = Makers.Value;
        Assert.Contains("Tensor.add_(Tensor)", makers); // its alpha defaults to a Scalar made from 1
        Assert.Contains("Tensor.op_Multiply(Tensor,double)", makers);
        Assert.DoesNotContain("Tensor.add_(Tensor,Scalar)", makers);
        Assert.DoesNotContain("Tensor.mul_(Scalar)", makers);
        Assert.True(IsImplicitConversion("Scalar.op_Implicit(double)"));
        Assert.True(IsImplicitConversion("Tensor.op_Implicit(float)"));
        Assert.False(IsImplicitConversion("ScalarExtensionMethods.ToScalar(double)"));
    }

    /// <summary>Fails naming every method of <paramref name="assemblies"/> that calls a conversion to Scalar or a maker.</summary>
    private static void AssertNoScalarsMadeOnTheFly(params Assembly[] assemblies)
    {
        var makers = Makers.Value;
        var found = new List<string>();
        foreach (var assembly in assemblies)
        {
            using var il = new IlCalls(assembly.Location);
            foreach (var method in il.Methods())
                foreach (var call in il.CallsOf(method))
                    if (il.NameOf(call) is { } name && (makers.Contains(name) || IsImplicitConversion(name)))
                        found.Add($"{il.OwnerOf(method)} calls {name}");
        }
        Assert.True(found.Count == 0,
            "libtorch Scalars made on the fly (hold one: `using Scalar s = value.ToScalar();` and pass s):\n" + string.Join("\n", found.Distinct()));
    }

    private static bool IsImplicitConversion(string name) =>
        name.StartsWith("Scalar.op_Implicit(", StringComparison.Ordinal)
        || (name.StartsWith("Tensor.op_Implicit(", StringComparison.Ordinal) && !name.Contains("Tensor)", StringComparison.Ordinal));

    /// <summary>
    /// TorchSharp's methods that make a Scalar inside: those that call a Scalar conversion (<c>op_Implicit</c> or a
    /// <c>To…Scalar</c> extension), and, to a fixed point, those that call one of them.
    /// </summary>
    private static HashSet<string> TorchSharpScalarMakers()
    {
        using var il = new IlCalls(typeof(torch).Assembly.Location);
        var calls = il.Methods().ToDictionary(m => m, m => il.CallsOf(m).ToList());
        var names = calls.Keys.ToDictionary(m => m, m => il.NameOf(m)!);
        var makers = new HashSet<MethodDefinitionHandle>();
        foreach (var (method, name) in names)
            if (IsConversion(name)) makers.Add(method);
        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach (var (method, targets) in calls)
                if (!makers.Contains(method) && targets.Any(t => t.Kind == HandleKind.MethodDefinition && makers.Contains((MethodDefinitionHandle)t)))
                    grew |= makers.Add(method);
        }
        return makers.Where(m => !IsConversion(names[m])).Select(m => names[m]).ToHashSet();
    }

    private static bool IsConversion(string name) =>
        name.StartsWith("Scalar.op_Implicit(", StringComparison.Ordinal)
        || (name.StartsWith("ScalarExtensionMethods.To", StringComparison.Ordinal) && name.Contains("Scalar(", StringComparison.Ordinal));
}
