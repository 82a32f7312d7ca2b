using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests;

public class TorchSharpLoadsTests
{
    [Fact]
    public void NativeBackendLoadsAndComputes()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2); // (2, 2)
        var b = matmul(a, a);
        // [[1,2],[3,4]]^2 = [[7,10],[15,22]]
        Assert.Equal(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());
    }
}
