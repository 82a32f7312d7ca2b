using System.Text.Json.Nodes;
using LoraLab.Peft;

namespace LoraLab.Tests.Peft;

/// <summary>
/// <c>target_modules</c> read as PEFT reads it. Expected values are PEFT's rule (peft/tuners/tuners_utils.py,
/// check_target_module_exists: a string is <c>re.fullmatch</c>ed against each full module name, a list entry matches a
/// name equal to it or ending in "." + entry; "all-linear" is every linear layer but lm_head) worked by hand over the
/// module names transformers' LlamaForCausalLM.named_modules() yields (model.layers.{i}.self_attn.q_proj, lm_head, …).
/// </summary>
public class PeftTargetModulesTests
{
    private const string Path = "adapter_config.json";

    [Theory]
    [InlineData("\".*\\\\.(q_proj|v_proj)\"", "q_proj,v_proj")]
    [InlineData("\".*(q|k|v|o)_proj\"", "q_proj,k_proj,v_proj,o_proj")]          // down_proj ends in n_proj: not taken
    [InlineData("\"model\\\\.layers\\\\.\\\\d+\\\\.mlp\\\\.(gate|up|down)_proj\"", "gate_proj,up_proj,down_proj")]
    [InlineData("\".*_proj\"", "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")]
    [InlineData("\".*self_attn\\\\.[qk]_proj\"", "q_proj,k_proj")]
    [InlineData("\"all-linear\"", "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")]
    [InlineData("\"ALL-LINEAR\"", "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")]
    [InlineData("[\"q_proj\", \"v_proj\"]", "q_proj,v_proj")]
    [InlineData("[\"v_proj\", \"q_proj\", \"q_proj\"]", "q_proj,v_proj")]                 // a set, in canonical order
    [InlineData("[\"self_attn.q_proj\", \"mlp.down_proj\"]", "q_proj,down_proj")]       // suffix after a dot
    [InlineData("[\"model.layers.0.self_attn.q_proj\", \"q_proj\"]", "q_proj")]         // layer 0 is covered by q_proj too
    [InlineData("[\"q_proj\", \"c_attn\"]", "q_proj")]                                  // an entry naming no module adds nothing
    public void SelectsWhatPeftSelects(string json, string expected)
    {
        Assert.Equal(expected.Split(','), PeftTargetModules.Resolve(JsonNode.Parse(json), Path));
    }

    [Theory]
    [InlineData("\"q_proj\"", "selects no Llama projection")]                 // fullmatch needs the whole name
    [InlineData("\".*mlp\\\\.q_proj\"", "selects no Llama projection")]       // q_proj lives in self_attn, not mlp
    [InlineData("\".*\"", "the whole model")]
    [InlineData("\".*(q_proj|lm_head)\"", "'lm_head'")]
    [InlineData("\"model\\\\.layers\\\\.0\\\\..*_proj\"", "in layer 0 but not in layer 1")]
    [InlineData("\"model\\\\.layers\\\\.\\\\d\\\\.self_attn\\\\.q_proj\"", "in layer 0 but not in layer 10")]
    [InlineData("\"(q_proj\"", "not a regular expression")]
    [InlineData("[\"mlp.q_proj\"]", "[\"mlp.q_proj\"] selects no Llama projection")]
    [InlineData("[\"_proj\"]", "selects no Llama projection")]                  // a suffix must start after a dot
    [InlineData("[\"all-linear\"]", "selects no Llama projection")]              // the shorthand is a string, not an entry
    [InlineData("[\"layers.0.self_attn.q_proj\"]", "in layer 0 but not in layer 1")]
    [InlineData("[\"mlp\"]", "'model.layers.0.mlp'")]                           // the MLP block itself, not its projections
    [InlineData("[\"q_proj\", \"embed_tokens\"]", "'model.embed_tokens'")]
    [InlineData("[\"lm_head\"]", "'lm_head'")]
    [InlineData("[]", "is empty")]
    [InlineData("[1]", "entries must be strings")]
    [InlineData("7", "must be a list")]
    public void RefusesWhatLoraLabCannotAdaptOrPeftWouldNotMatch(string json, string expected)
    {
        var e = Assert.Throws<LoraLabException>(() => PeftTargetModules.Resolve(JsonNode.Parse(json), Path));
        Assert.StartsWith(Path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void NamesAreTransformersModuleNames()
    {
        Assert.Equal("model.layers.3.self_attn.q_proj", PeftTargetModules.ProjectionName(3, "q_proj"));
        Assert.Equal("model.layers.0.mlp.down_proj", PeftTargetModules.ProjectionName(0, "down_proj"));
    }
}
