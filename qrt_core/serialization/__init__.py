"""The JSON wire format of runtime programs: encoder, decoder, codecs, result decoders, messenger."""
