#:package Microsoft.CodeAnalysis.CSharp
#:property PublishAot=false
// Usage: dotnet run scripts/wrap-long-lines.cs -- $(git ls-files "src/*.cs" "tools/*.cs" "examples/*.cs" "tests/*.cs")
// Wraps C# code lines over 120 characters, changing no behaviour: it breaks between tokens (never inside a literal or an
// interpolated string, never on a preprocessor or comment line) before an if's statement, after a comma, before && ||
// ?? and a conditional's ? :, after => and =, before a call chain's member access — the best kind, then the shallowest,
// then the rightmost that fits; where no break fits, it cuts a string literal at a space into two constant (or two
// interpolated) halves joined by +, except where the string goes to an interpolation handler (string.Create,
// AppendLine(ci, …)), a member access or a pattern. A continuation is indented 4 past the line where its statement
// starts; an object initializer that is a statement's whole value and does not fit is unfolded, one member per line.
// Prints how many breaks it made and how many long lines remain; build and test after it.
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

int changed = 0, remaining = 0;
foreach (var file in args)
{
    string text = File.ReadAllText(file);
    var lines = text.Split('\n').ToList();
    bool modified = false;
    for (int pass = 0; pass < 40; pass++)
    {
        var tree = CSharpSyntaxTree.ParseText(string.Join('\n', lines),
            new CSharpParseOptions(LanguageVersion.Preview));
        var root = tree.GetRoot();
        var source = tree.GetText();
        int target = -1;
        for (int i = 0; i < lines.Count; i++)
            if (lines[i].Length > 120 && !lines[i].TrimStart().StartsWith("//")
                && !lines[i].TrimStart().StartsWith("#")
                && !lines[i].TrimStart().StartsWith("///")) { target = -1; if (Break(i)) { target = i; break; } }
        if (target < 0) break;

        bool Break(int i)
        {
            var lineSpan = source.Lines[i].Span;
            var tokens = root.DescendantTokens(lineSpan).Where(t => t.SpanStart >= lineSpan.Start
                && t.SpanStart < lineSpan.End).ToList();
            if (tokens.Count < 2) return false;
            int indent = lines[i].Length - lines[i].TrimStart().Length;
            int continuation = ContinuationIndent(tokens[0], indent);
            if (Unfold(i, lineSpan, tokens, indent)) return true;
            (int Column, int Score, int Depth)? best = null;
            for (int k = 1; k < tokens.Count; k++)
            {
                var t = tokens[k];
                var prev = tokens[k - 1];
                if (InsideString(t) || InsideString(prev)) continue;
                int col = t.SpanStart - lineSpan.Start;
                if (col > 120 || col <= indent + 8) continue;
                int score =
                    t.Parent?.FirstAncestorOrSelf<Microsoft.CodeAnalysis.CSharp.Syntax.StatementSyntax>() is { } st
                        && st.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.IfStatementSyntax ifs
                    && ifs.Statement == st
                        && st.GetFirstToken() == t && st is not Microsoft.CodeAnalysis.CSharp.Syntax.BlockSyntax ? 6
                    : prev.IsKind(SyntaxKind.CommaToken)
                    && prev.Parent is not (Microsoft.CodeAnalysis.CSharp.Syntax.TypeArgumentListSyntax
                        or Microsoft.CodeAnalysis.CSharp.Syntax.TypeParameterListSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.TupleTypeSyntax) ? 5
                    : t.Kind() is SyntaxKind.AmpersandAmpersandToken or SyntaxKind.BarBarToken or SyntaxKind.QuestionQuestionToken ? 4
                    : t.Kind() is SyntaxKind.QuestionToken or SyntaxKind.ColonToken
                    && t.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.ConditionalExpressionSyntax ? 4
                    : prev.Kind() is SyntaxKind.EqualsGreaterThanToken ? 3
                    : prev.IsKind(SyntaxKind.EqualsToken)
                    && prev.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.EqualsValueClauseSyntax ? 3
                    : t.IsKind(SyntaxKind.DotToken)
                    && t.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax
                        && t.Parent.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax ? 2
                    : 0;
                if (score == 0) continue;
                int depth =
                    t.Parent!.Ancestors().TakeWhile(a =>
                    a is not Microsoft.CodeAnalysis.CSharp.Syntax.StatementSyntax and not Microsoft.CodeAnalysis.CSharp.Syntax.MemberDeclarationSyntax)
                    .Count(a =>
                    a is Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentListSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.ParameterListSyntax
                        or Microsoft.CodeAnalysis.CSharp.Syntax.ParenthesizedExpressionSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.BracketedArgumentListSyntax
                        or Microsoft.CodeAnalysis.CSharp.Syntax.InitializerExpressionSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.CollectionExpressionSyntax
                        or Microsoft.CodeAnalysis.CSharp.Syntax.LambdaExpressionSyntax);
                // The best kind of break, then the shallowest, then the rightmost that fits.
                if (best is null || score > best.Value.Score || (score == best.Value.Score && (depth < best.Value.Depth
                    || (depth == best.Value.Depth && col > best.Value.Column)))) best = (col, score, depth);
            }
            if (best is null) return SplitString(i, lineSpan, tokens, indent, continuation);
            string line = lines[i];
            string head = line[..best.Value.Column].TrimEnd(), tail = line[best.Value.Column..].TrimStart();
            lines[i] = head;
            lines.Insert(i + 1, new string(' ', continuation) + tail);
            modified = true;
            changed++;
            return true;
        }

        // An object or collection initializer written on one line that does not fit is unfolded the way the code
        // base writes long ones: the brace on its own line, one member per line with a trailing comma, the closing
        // brace with whatever followed it. Only the outermost initializer that starts and ends on this line.
        bool Unfold(int i, Microsoft.CodeAnalysis.Text.TextSpan lineSpan, List<SyntaxToken> tokens, int indent)
        {
            var init = tokens.Where(t => t.IsKind(SyntaxKind.OpenBraceToken)
                && t.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.InitializerExpressionSyntax ie
                    && ie.Expressions.Count > 0 && ie.CloseBraceToken.Span.End <= lineSpan.End
                    && ie.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.ObjectCreationExpressionSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.ImplicitObjectCreationExpressionSyntax
                    && !InsideString(t))
                .Select(t =>
                (Microsoft.CodeAnalysis.CSharp.Syntax.InitializerExpressionSyntax)t.Parent!).FirstOrDefault();
            if (init is null) return false;
            // Only a creation that is a whole value (a variable's, an assignment's, a return's or an arrow body's) of a
            // statement that starts this line and ends with it: then the braces line up with the statement.
            var creation = init.Parent!;
            bool whole =
                creation.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.EqualsValueClauseSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.ArrowExpressionClauseSyntax
                or Microsoft.CodeAnalysis.CSharp.Syntax.ReturnStatementSyntax
                || creation.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax a
                && a.Right == creation;
            var owner =
                creation.Ancestors().FirstOrDefault(n =>
                n is Microsoft.CodeAnalysis.CSharp.Syntax.StatementSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.MemberDeclarationSyntax);
            if (!whole || owner is null || owner.GetFirstToken() != tokens[0]) return false;
            string after = lines[i][(init.CloseBraceToken.Span.End - lineSpan.Start)..].Trim();
            if (after is not (";" or "" or ",")) return false;
            // Only where the initializer is what makes the line long, and its members can stand on lines of their own.
            if (init.OpenBraceToken.SpanStart - lineSpan.Start > 110) return false;
            if (init.Expressions.Any(e => e.ToString().Contains('\n'))) return false;
            string line = lines[i];
            int open = init.OpenBraceToken.SpanStart - lineSpan.Start,
                close = init.CloseBraceToken.SpanStart - lineSpan.Start;
            string head = line[..open].TrimEnd(), rest = line[(close + 1)..];
            var members = init.Expressions.Select(e => new string(' ', indent + 4) + e.ToString() + ",").ToList();
            lines[i] = head;
            lines.InsertRange(i + 1, [new string(' ', indent) + "{", .. members, new string(' ', indent) + "}" + rest]);
            modified = true;
            changed++;
            return true;
        }

        // A string literal that runs past the limit is cut at its last space that fits, as "…" + "…" (constants
        // concatenate at compile time; an interpolated string's two halves are both interpolated, cut only in text,
        // and never where the string goes to a handler or FormattableString parameter: string.Create, Invariant,
        // Append, AppendLine, AppendFormatted).
        bool SplitString(int i, Microsoft.CodeAnalysis.Text.TextSpan lineSpan, List<SyntaxToken> tokens, int indent,
            int continuation)
        {
            string line = lines[i];
            (int Space, string Prefix)? cut = null;
            foreach (var t in tokens)
            {
                int start = t.SpanStart - lineSpan.Start, end = t.Span.End - lineSpan.Start;
                string? prefix = null;
                int from = -1, to = -1;
                if (t.IsKind(SyntaxKind.StringLiteralToken) && t.Text.StartsWith('"') && !Operand(t.Parent!))
                    (prefix, from, to) = ("", start + 1, end - 2);
                else if (t.IsKind(SyntaxKind.InterpolatedStringTextToken)
                    && t.Parent?.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.InterpolatedStringExpressionSyntax ise
                    && ise.StringStartToken.Text == "$\"" && !HandlerContext(ise) && !Operand(ise))
                    (prefix, from, to) = ("$", start, end - 1);
                if (prefix is null) continue;
                // The cut leaves text on both sides: never an empty literal.
                for (int c = Math.Min(to - 1, 116); c > Math.Max(from, indent + 30); c--)
                    if (line[c] == ' ' && line[c - 1] is not ('\\' or '{' or '}'))
                    {
                        if (cut is null || c > cut.Value.Space) cut = (c, prefix);
                        break;
                    }
            }
            if (cut is not { } k) return false;
            lines[i] = line[..(k.Space + 1)] + "\" +";
            lines.Insert(i + 1, new string(' ', continuation) + k.Prefix + "\"" + line[(k.Space + 1)..]);
            modified = true;
            changed++;
            return true;
        }
    }
    remaining += lines.Count(l => l.Length > 120);
    if (modified) File.WriteAllText(file, string.Join('\n', lines));
}
Console.WriteLine($"{changed} breaks; {remaining} long lines remain");

// The indent of a continuation: 4 past the line where the statement (or member, or initializer entry) holding the
// line's first token starts, so repeated breaks of one statement line up instead of stepping right.
static int ContinuationIndent(SyntaxToken first, int lineIndent)
{
    SyntaxNode? owner = first.Parent?.AncestorsAndSelf().FirstOrDefault(n =>
        n is Microsoft.CodeAnalysis.CSharp.Syntax.StatementSyntax and not Microsoft.CodeAnalysis.CSharp.Syntax.BlockSyntax
        || n is Microsoft.CodeAnalysis.CSharp.Syntax.MemberDeclarationSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.SwitchExpressionArmSyntax
            or Microsoft.CodeAnalysis.CSharp.Syntax.CollectionElementSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.AnonymousObjectMemberDeclaratorSyntax
        || n.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.InitializerExpressionSyntax);
    if (owner is null) return lineIndent + 4;
    string l = owner.SyntaxTree.GetText().Lines.GetLineFromPosition(owner.SpanStart).ToString();
    int ownerIndent = l.Length - l.TrimStart().Length;
    return ownerIndent <= lineIndent ? ownerIndent + 4 : lineIndent + 4;
}

// A literal that is the target of a member access, an element access or a pattern cannot become a concatenation.
static bool Operand(SyntaxNode literal) =>
    literal.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax
    or Microsoft.CodeAnalysis.CSharp.Syntax.ElementAccessExpressionSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.ConditionalAccessExpressionSyntax
    or Microsoft.CodeAnalysis.CSharp.Syntax.ConstantPatternSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.PatternSyntax
    or Microsoft.CodeAnalysis.CSharp.Syntax.CaseSwitchLabelSyntax;

static bool HandlerContext(SyntaxNode interpolated)
{
    for (var n = interpolated.Parent; n is not null
        && n is not Microsoft.CodeAnalysis.CSharp.Syntax.StatementSyntax; n = n.Parent)
        if (n is Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax inv
            && inv.Expression.ToString()
            .Split('.')[^1] is "Create" or "Invariant" or "Append" or "AppendLine" or "AppendFormatted" or "FormattableString")
            return true;
        else if (n is Microsoft.CodeAnalysis.CSharp.Syntax.InterpolatedStringExpressionSyntax) return true;   // nested
    return false;
}

static bool InsideString(SyntaxToken t)
{
    if (t.Kind() is SyntaxKind.StringLiteralToken or SyntaxKind.InterpolatedStringTextToken or SyntaxKind.InterpolatedStringStartToken
        or SyntaxKind.InterpolatedStringEndToken or SyntaxKind.InterpolatedRawStringEndToken or SyntaxKind.InterpolatedSingleLineRawStringStartToken
        or SyntaxKind.SingleLineRawStringLiteralToken or SyntaxKind.MultiLineRawStringLiteralToken) return true;
    for (var n = t.Parent; n is not null; n = n.Parent)
        if (n is Microsoft.CodeAnalysis.CSharp.Syntax.InterpolatedStringExpressionSyntax) return true;
    return false;
}
