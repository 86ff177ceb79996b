using System.Reflection;
using System.Reflection.Emit;

namespace MLNet.LowRank.Tests.Runtime;

/// <summary>Reads an assembly's method bodies and lists the methods each one calls (call, callvirt, newobj, ldftn):
/// enough of an IL reader to check what the compiled library does, whatever the C# looked like.</summary>
static class IlCalls
{
    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
                                  BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>Every (caller, callee) pair in <paramref name="assembly"/>, compiler-generated types (lambdas,
    /// iterators, async state machines) included.</summary>
    public static IEnumerable<(MethodBase Caller, MethodBase Callee)> In(Assembly assembly)
    {
        foreach (var type in assembly.GetTypes())
        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            var il = method.GetMethodBody()?.GetILAsByteArray();
            if (il is null) continue;
            foreach (var token in MethodTokens(il))
            {
                MethodBase? callee;
                try
                {
                    callee = method.Module.ResolveMethod(token,
                        type.IsGenericType ? type.GetGenericArguments() : null,
                        method.IsGenericMethod ? method.GetGenericArguments() : null);
                }
                catch (ArgumentException) { continue; } // a token of a generic context this reader does not rebuild
                if (callee is not null) yield return (method, callee);
            }
        }
    }

    /// <summary>The methods <paramref name="method"/>'s own body calls (none for an extern or abstract
    /// method).</summary>
    public static IEnumerable<MethodBase> CalleesOf(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var type = method.DeclaringType;
        foreach (var token in MethodTokens(il))
        {
            MethodBase? callee;
            try
            {
                callee = method.Module.ResolveMethod(token,
                    type is { IsGenericType: true } ? type.GetGenericArguments() : null,
                    method.IsGenericMethod ? method.GetGenericArguments() : null);
            }
            catch (ArgumentException) { continue; }
            if (callee is not null) yield return callee;
        }
    }

    // Walks the instruction stream; yields the operand of every instruction whose operand is a method token.
    static IEnumerable<int> MethodTokens(byte[] il)
    {
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            if (!OpCodesByValue.TryGetValue(value, out var op))
                throw new InvalidDataException($"unknown IL opcode 0x{value:X} at offset {i}");
            i += op.Size;
            if (op.OperandType == OperandType.InlineMethod) yield return BitConverter.ToInt32(il, i);
            i += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
        }
    }
}
