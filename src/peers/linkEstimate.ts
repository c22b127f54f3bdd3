export interface LinkEstimate { availableBps: number; lossFraction: number; rttMs: number | undefined }
