#!/usr/bin/env ruby
# Build a bootable-layout disk image from Ruby: a GPT disk with an EFI
# system partition (vfat, /EFI/BOOT/BOOTX64.EFI) and an ext4 root
# filesystem (/etc/os-release, links, a directory tree), then read it back
# in a new read-only handle. Host files go in with upload and tar_in and
# come out with download and tar_out (listed by the host's tar). Run from
# the source tree after `make`:
#
#     ./run ruby examples/ruby/efi_image.rb disk.img
#
# `make demo` then checks the image with sgdisk -v, fsck.fat -n and
# e2fsck -fn.
require 'guestfs'
require 'open3'
require 'tmpdir'

ESP_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B'
LINUX_ROOT_X86_64 = '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709'

def build(image)
  g = Guestfs::Guestfs.new
  g.disk_create(image, 'raw', 256 * 1024 * 1024)
  g.add_drive_opts(image, format: 'raw')
  g.launch
  g.part_init('/dev/sda', 'gpt')
  g.part_add('/dev/sda', 'p', 2048, 206_847)
  g.part_add('/dev/sda', 'p', 206_848, -34)
  g.part_set_gpt_type('/dev/sda', 1, ESP_TYPE)
  g.part_set_gpt_type('/dev/sda', 2, LINUX_ROOT_X86_64)
  g.mkfs('vfat', '/dev/sda1', label: 'ESP')
  g.mkfs('ext4', '/dev/sda2', label: 'root')
  g.mount('/dev/sda2', '/')
  g.mkdir_p('/boot/efi')
  g.mount('/dev/sda1', '/boot/efi')
  g.mkdir_p('/boot/efi/EFI/BOOT')
  g.write('/boot/efi/EFI/BOOT/BOOTX64.EFI', "MZ" + ("\0" * 510))
  g.mkdir_p('/etc')
  g.write('/etc/os-release', %(NAME="Demo Linux"\nID=demo\nVERSION_ID=1\n))
  g.ln_s('os-release', '/etc/os-release.link')
  g.mkdir_p('/var/log')
  g.touch('/var/log/messages')
  g.setxattr('user.demo', 'ruby', 4, '/etc/os-release')
  g.mkdir_p('/usr/share/demo')
  g.upload(__FILE__, '/usr/share/demo/efi_image.rb')
  Dir.mktmpdir do |tmp|
    Dir.mkdir(File.join(tmp, 'skel'))
    File.write(File.join(tmp, 'skel', '.profile'), "PATH=/usr/bin:/bin\n")
    out, st = Open3.capture2e('tar', '-C', tmp, '-czf', File.join(tmp, 'skel.tgz'), 'skel')
    raise "tar: #{out}" unless st.success?
    g.tar_in(File.join(tmp, 'skel.tgz'), '/etc', compress: 'gzip')
  end
  puts "mounted: #{g.mountpoints.inspect}"
  g.umount_all
  g.shutdown
  g.close
end

def show(image)
  g = Guestfs::Guestfs.new
  g.add_drive_opts(image, format: 'raw', readonly: true)
  g.launch
  puts "filesystems: #{g.list_filesystems.inspect}"
  g.mount_ro('/dev/sda2', '/')
  g.mount_ro('/dev/sda1', '/boot/efi')
  puts "/etc/os-release: #{g.read_lines('/etc/os-release').inspect}"
  puts "xattrs: #{g.getxattrs('/etc/os-release').map { |x| [x['attrname'], x['attrval']] }.inspect}"
  puts "ESP: #{g.find('/boot/efi').inspect}"
  puts "md5 BOOTX64.EFI: #{g.checksum('md5', '/boot/efi/EFI/BOOT/BOOTX64.EFI')}"
  Dir.mktmpdir do |tmp|
    g.download('/usr/share/demo/efi_image.rb', File.join(tmp, 'script'))
    raise 'download differs from the upload' unless File.binread(File.join(tmp, 'script')) == File.binread(__FILE__)
    puts 'download of the uploaded script: identical'
    g.tar_out('/etc', File.join(tmp, 'etc.tar'))
    out, st = Open3.capture2e('tar', '-tf', File.join(tmp, 'etc.tar'))
    raise "tar: #{out}" unless st.success? && out.include?('./skel/.profile')
    puts "tar_out /etc, listed by the host's tar: #{out.split.inspect}"
  end
  g.close
end

image = ARGV[0] || 'disk.img'
build(image)
show(image)
