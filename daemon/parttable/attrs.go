package parttable

import (
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

const gptNameUnits = 36 // UTF-16 code units in a GPT partition name

// PartSetName sets the GPT name of partition partnum (part_set_name). The name
// is stored as UTF-16LE and may hold at most 36 UTF-16 code units.
func (dev *Device) PartSetName(partnum int, name string) error {
	return wrap(dev.partName(partnum), dev.partSetName(partnum, name))
}

func (dev *Device) partSetName(n int, name string) error {
	if !utf8.ValidString(name) {
		return invalid("name is not valid UTF-8")
	}
	units := utf16.Encode([]rune(name))
	if len(units) > gptNameUnits {
		return invalid("name is %d UTF-16 code units long, the maximum is %d", len(units), gptNameUnits)
	}
	for _, u := range units {
		if u == 0 {
			return invalid("name contains a NUL character")
		}
	}
	t, err := dev.load()
	if err != nil {
		return err
	}
	e, err := t.gptEntry(n)
	if err != nil {
		return err
	}
	field := e[56:128]
	clear(field)
	for i, u := range units {
		binary.LittleEndian.PutUint16(field[2*i:], u)
	}
	return t.write()
}

// PartGetName returns the GPT name of partition partnum (part_get_name).
func (dev *Device) PartGetName(partnum int) (string, error) {
	t, err := dev.load()
	if err == nil {
		var e []byte
		if e, err = t.gptEntry(partnum); err == nil {
			var units []uint16
			for i := 56; i < 128; i += 2 {
				u := binary.LittleEndian.Uint16(e[i:])
				if u == 0 {
					break
				}
				units = append(units, u)
			}
			return string(utf16.Decode(units)), nil
		}
	}
	return "", wrap(dev.partName(partnum), err)
}

// PartSetBootable sets or clears the bootable flag (part_set_bootable): the
// 0x80 active flag on MBR, the legacy BIOS bootable attribute (bit 2) on GPT.
// On MBR, setting it clears it on every other partition, as parted does.
func (dev *Device) PartSetBootable(partnum int, bootable bool) error {
	return wrap(dev.partName(partnum), dev.partSetBootable(partnum, bootable))
}

func (dev *Device) partSetBootable(n int, bootable bool) error {
	t, err := dev.load()
	if err != nil {
		return err
	}
	if t.gpt != nil {
		e, err := t.gptEntry(n)
		if err != nil {
			return err
		}
		attrs := binary.LittleEndian.Uint64(e[48:56]) &^ attrLegacyBoot
		if bootable {
			attrs |= attrLegacyBoot
		}
		binary.LittleEndian.PutUint64(e[48:56], attrs)
		return t.write()
	}
	e, err := t.mbrPartition(n)
	if err != nil {
		return err
	}
	if bootable {
		// As parted does: at most one partition is active.
		for i := range t.mbr.prim {
			t.mbr.prim[i].status = 0
		}
		for i := range t.mbr.logicals {
			t.mbr.logicals[i].status = 0
		}
		e.status = 0x80
	} else {
		e.status = 0
	}
	return t.write()
}

// PartGetBootable reports the bootable flag set by PartSetBootable
// (part_get_bootable).
func (dev *Device) PartGetBootable(partnum int) (bool, error) {
	t, err := dev.load()
	if err == nil {
		if t.gpt != nil {
			var e []byte
			if e, err = t.gptEntry(partnum); err == nil {
				return binary.LittleEndian.Uint64(e[48:56])&attrLegacyBoot != 0, nil
			}
		} else {
			var e *mbrEntry
			if e, err = t.mbrPartition(partnum); err == nil {
				return e.status == 0x80, nil
			}
		}
	}
	return false, wrap(dev.partName(partnum), err)
}

// PartSetGptType sets the GPT partition type GUID (part_set_gpt_type). The
// GUID is XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX in either case; the all-zero
// GUID (an unused entry) is refused.
func (dev *Device) PartSetGptType(partnum int, guidStr string) error {
	return wrap(dev.partName(partnum), dev.partSetGptType(partnum, guidStr))
}

func (dev *Device) partSetGptType(n int, s string) error {
	typ, err := parseGUID(s)
	if err != nil {
		return err
	}
	if typ.isZero() {
		return invalid("the zero GUID marks an unused entry; use part_del to delete a partition")
	}
	t, err := dev.load()
	if err != nil {
		return err
	}
	e, err := t.gptEntry(n)
	if err != nil {
		return err
	}
	copy(e[0:16], typ[:])
	return t.write()
}

// PartGetGptType returns the GPT partition type GUID in uppercase
// (part_get_gpt_type).
func (dev *Device) PartGetGptType(partnum int) (string, error) {
	return dev.gptGUID(partnum, 0)
}

// PartGetGptGuid returns the GPT unique partition GUID in uppercase
// (part_get_gpt_guid).
func (dev *Device) PartGetGptGuid(partnum int) (string, error) {
	return dev.gptGUID(partnum, 16)
}

func (dev *Device) gptGUID(n, off int) (string, error) {
	t, err := dev.load()
	if err == nil {
		var e []byte
		if e, err = t.gptEntry(n); err == nil {
			return guid(e[off : off+16]).String(), nil
		}
	}
	return "", wrap(dev.partName(n), err)
}
