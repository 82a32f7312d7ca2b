namespace LoraLab.Training.Config;

/// <summary>Marks a config property that is not a YAML key.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigIgnoreAttribute : Attribute
{
}
