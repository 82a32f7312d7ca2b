using LoraLab.Evaluation.Tasks;

namespace LoraLab.Tests.Evaluation.Tasks;

/// <summary>Cases worked by hand from lm-eval's gsm8k.yaml regexes (filters and regexes_to_ignore).</summary>
public class Gsm8kAnswerTests
{
    [Theory]
    [InlineData("#### -5", "-5")]
    [InlineData("so 3 + 4 = 7\n#### 7", "7")]
    [InlineData("#### 1,000.\nQuestion", "1,000.")]
    [InlineData("#### 3 and later #### 4", "3")] // first match
    [InlineData("The answer is 5", "[invalid]")]
    [InlineData("####5", "[invalid]")] // needs the space
    public void StrictMatch(string response, string expected) => Assert.Equal(expected, Gsm8kAnswer.StrictMatch(response));

    [Theory]
    [InlineData("The answer is $1,234.", "$1,234.")]
    [InlineData("3 apples and 12 pears, total 15", "15")] // last match
    [InlineData("so x = 7", "7")] // one digit: second alternative
    [InlineData("-42 is it", "-42")]
    [InlineData("no digits here", "[invalid]")]
    public void FlexibleExtract(string response, string expected) => Assert.Equal(expected, Gsm8kAnswer.FlexibleExtract(response));

    [Theory]
    [InlineData("$1,234.", "1234")]
    [InlineData("1,000.", "1000")]
    [InlineData("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72", "72")]
    [InlineData("3.50", "3.50")] // only a trailing "." goes
    [InlineData("[INVALID]", "[invalid]")]
    public void Normalize(string text, string expected) => Assert.Equal(expected, Gsm8kAnswer.Normalize(text));

    [Fact]
    public void ExactMatchComparesNormalisedPredictionWithGoldAnswer()
    {
        string gold = "She has 1000 + 234 = <<1000+234=1234>>1234 dollars.\n#### 1234";
        Assert.True(Gsm8kAnswer.ExactMatch(Gsm8kAnswer.FlexibleExtract("The answer is $1,234."), gold));
        Assert.False(Gsm8kAnswer.ExactMatch(Gsm8kAnswer.StrictMatch("The answer is $1,234."), gold));
        Assert.False(Gsm8kAnswer.ExactMatch("01234", gold));
    }
}
