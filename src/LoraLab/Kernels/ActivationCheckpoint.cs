using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// Activation checkpointing (torch.utils.checkpoint's reentrant form, which TorchSharp lacks): y = f(x) runs without
/// autograd, keeping only its input and the tensors in <c>keep</c>; backward runs f again with autograd from the same
/// random-generator state and under the same <see cref="Autocast"/> dtype, then takes the gradients of x and of the
/// parameters through <c>autograd.grad</c> and returns them to autograd. The replayed forward draws the same dropout
/// masks (libtorch's CPU generator: every CPU dropout and every LoRA dropout key), so losses and gradients equal those of
/// the plain run. The parameters are inputs of the node so that it joins the graph even when x needs no gradient
/// (frozen embeddings under LoRA).
/// </summary>
public static class ActivationCheckpoint
{
    /// <summary>
    /// Runs <paramref name="f"/>(x, keep) checkpointed. <paramref name="f"/> must be a function of its arguments and of
    /// <paramref name="parameters"/> only (it receives fresh handles to x and the kept tensors in backward).
    /// </summary>
    public static Tensor Apply(Func<Tensor, IReadOnlyList<Tensor>, Tensor> f, Tensor x, IReadOnlyList<Tensor> keep, IReadOnlyList<Tensor> parameters)
    {
        var trainable = parameters.Where(p => p.requires_grad).ToList();
        var vars = new List<object> { new Recipe(f, keep.Count, Autocast.Current), x };
        vars.AddRange(keep);
        vars.AddRange(trainable);
        return CheckpointFunction.apply(vars.ToArray());
    }

    private sealed record Recipe(Func<Tensor, IReadOnlyList<Tensor>, Tensor> F, int KeepCount, ScalarType? Autocast);

    /// <summary>Arguments: recipe, x, keep…, trainable parameters….</summary>
    private sealed class CheckpointFunction : autograd.SingleTensorFunction<CheckpointFunction>
    {
        public override string Name => nameof(CheckpointFunction);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var recipe = (Recipe)vars[0];
            var x = (Tensor)vars[1];
            var keep = vars.Skip(2).Take(recipe.KeepCount).Cast<Tensor>().ToList();
            byte[] rng; // the generator state as bytes: TorchSharp's context data takes no tensors
            using (var state = random.get_rng_state()) rng = state.data<byte>().ToArray();
            Tensor y;
            using (no_grad()) y = recipe.F(x, keep);
            ctx.save_for_backward(new List<Tensor> { x }.Concat(keep).ToList());
            ctx.save_data("recipe", recipe);
            ctx.save_data("rng", rng);
            ctx.save_data("count", vars.Length);
            ctx.save_data("trainable", vars.Skip(2 + recipe.KeepCount).Cast<Tensor>().ToList());
            ctx.set_materialize_grads(false);
            return y;
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            GradientHandoff.Release();
            var recipe = (Recipe)ctx.get_data("recipe");
            var grads = Enumerable.Repeat<Tensor>(null!, (int)ctx.get_data("count")).ToList();
            if (gradOutput is null || gradOutput.IsInvalid) return grads;
            using var scope = NewDisposeScope();
            var rngBefore = tensor((byte[])ctx.get_data("rng"), dtype: ScalarType.Byte);
            var saved = ctx.get_saved_variables();
            var x = saved[0];
            var keep = saved.Skip(1).Take(recipe.KeepCount).ToList();
            var now = random.get_rng_state();
            random.set_rng_state(rngBefore);
            Tensor y;
            var input = x.detach().requires_grad_(x.requires_grad);
            using (enable_grad())
            using (Autocast.Enter(recipe.Autocast))
                y = recipe.F(input, keep);
            random.set_rng_state(now);
            var wanted = new List<Tensor>();
            if (x.requires_grad) wanted.Add(input);
            var trainable = Trainable(ctx);
            wanted.AddRange(trainable);
            var result = autograd.grad(new[] { y }, wanted, new[] { gradOutput }, allow_unused: true);
            int at = 0;
            if (x.requires_grad) grads[1] = result[at++];
            for (int i = 0; i < trainable.Count; i++) grads[2 + recipe.KeepCount + i] = result[at++];
            gradOutput.Dispose();
            return GradientHandoff.Return(grads);
        }

        private static List<Tensor> Trainable(autograd.AutogradContext ctx) => (List<Tensor>)ctx.get_data("trainable");
    }
}
