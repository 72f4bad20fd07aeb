namespace Cabal.Net.Protocol;

/// <summary>The 4-bit frame type (spec/hypercore.md §7.3). 11..14 are unassigned and ignored on receipt.</summary>
public enum MessageType : byte
{
    Open = 0,
    Options = 1,
    Status = 2,
    Have = 3,
    Unhave = 4,
    Want = 5,
    Unwant = 6,
    Request = 7,
    Cancel = 8,
    Data = 9,
    Close = 10,
    Extension = 15,
}
